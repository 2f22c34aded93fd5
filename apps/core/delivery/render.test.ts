import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRenderer, type Renderer } from "./render";

const ja = { contact: { locale: "ja", timezone: "Asia/Tokyo", name: "山田" } };
const en = { contact: { locale: "en", timezone: "America/New_York", name: "Ann" } };

let renderer: Renderer;
const renderTemplate: Renderer["render"] = (template, context, options) =>
  renderer.render(template, context, options);

async function body(source: string, context: object) {
  return (await renderTemplate({ body: source }, context)).html;
}

describe("message rendering", () => {
  beforeAll(async () => {
    renderer = await loadRenderer();
  });
  afterAll(() => renderer.close());

  it("formats dates in the reader's language and time zone", async () => {
    expect(await body("{{formatDate renewal.date}}", { ...ja, renewal: { date: "2027-03-31" } })).toBe(
      "2027年3月31日",
    );
    expect(await body("{{formatDate renewal.date}}", { ...en, renewal: { date: "2027-03-31" } })).toBe(
      "March 31, 2027",
    );
    // An instant is shown on the reader's calendar: 23:30 UTC is the next day in Tokyo.
    const at = { at: "2026-11-22T23:30:00Z" };
    expect(await body("{{formatDate at}}", { ...ja, ...at })).toBe("2026年11月23日");
    expect(await body("{{formatDate at}}", { ...en, ...at })).toBe("November 22, 2026");
  });

  it("pluralises by the language's rules, numbers and money by its conventions, with defaults", async () => {
    expect(await body('{{plural n "user" "users"}}', { ...en, n: 1 })).toBe("1 user");
    expect(await body('{{plural n "user" "users"}}', { ...en, n: 3 })).toBe("3 users");
    expect(await body('{{formatNumber arr currency="JPY"}}', { ...ja, arr: 1200000 })).toBe("￥1,200,000");
    expect(await body('Hi {{default contact.firstName "there"}}', en)).toBe("Hi there");
  });

  it("escapes every value, and wraps email in the layout with a preferences link", async () => {
    const evil = { ...en, account: { name: '<script>alert("x")</script>' } };
    expect(await body("{{account.name}}", evil)).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    const mail = await renderTemplate(
      { subject: "Hello {{contact.name}}", body: "<p>Welcome, {{contact.name}}.</p>" },
      { ...ja, workspace: { name: "Acme" }, links: { preferences: "https://x.example/u/t" } },
      { layout: true },
    );
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain('<a href="https://x.example/u/t">配信設定の変更・配信停止</a>');
    // The text part has the message and the footer, not the head.
    expect(mail.text.startsWith("Welcome, 山田.")).toBe(true);
    expect(mail.text).toContain("配信設定の変更・配信停止 (https://x.example/u/t)");
  });

  it("renders a subject as plain text, on one line whatever the values hold", async () => {
    const subject = async (source: string, context: object) =>
      (await renderTemplate({ subject: source, body: "-" }, context)).subject;
    expect(await subject("A&B for {{account.name}}", { account: { name: "<Smith & Sons>" } })).toBe(
      "A&B for <Smith & Sons>",
    );
    // A CR/LF in a value cannot start a header of its own.
    expect(await subject("Hi {{contact.name}}", { contact: { name: "Ann\r\nBcc: x@evil.example" } })).toBe(
      "Hi Ann Bcc: x@evil.example",
    );
  });

  it("decodes every character reference in the plain-text part", async () => {
    expect(await body("{{url}}", { url: "https://x.example/?a=b&c='d'" })).toBe(
      "https://x.example/?a&#x3D;b&amp;c&#x3D;&#x27;d&#x27;",
    );
    expect((await renderTemplate({ body: "<p>{{url}} &#61; &nbsp;&lt;</p>" }, { url: "?a=b&c" })).text).toBe(
      "?a=b&c =  <",
    );
  });
});
