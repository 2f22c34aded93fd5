import { accountsMessages } from "./messages/accounts";
import { homeMessages } from "./messages/home";
import { inboxMessages } from "./messages/inbox";
import { journeyEditorMessages } from "./messages/journey-editor";
import { simulateMessages } from "./messages/journey-simulate";
import { journeysMessages } from "./messages/journeys";
import { profileMessages } from "./messages/profile";
import { settingsMessages } from "./messages/settings";
import { templatesMessages } from "./messages/templates";

/**
 * The console's words in English and Japanese: the shared ones here, each area's in messages/. `ja` is
 * typed by `en`'s keys: a message missing in either language fails the typecheck.
 */
const common = {
  "app.name": "Volante console",
  "nav.label": "Main",
  "nav.home": "Home",
  "nav.users": "People",
  "nav.inbox": "Inbox",
  "nav.accounts": "Accounts",
  "nav.journeys": "Journeys",
  "nav.templates": "Templates",
  "nav.settings": "Settings",
  "nav.profile": "Your profile",
  "nav.apiDocs": "API documentation",
  skip: "Skip to content",
  "language.label": "Language",
  "language.switch": "Change language",
  "signIn.title": "Sign in",
  "signIn.email": "Email",
  "signIn.password": "Password",
  "signIn.submit": "Sign in",
  "signIn.failed": "The email or password is not right.",
  "signIn.tooMany": "Too many attempts. Wait a minute and try again.",
  signOut: "Sign out",
  signOutEverywhere: "Sign out everywhere",
  signedOutEverywhere: "You were signed out of every browser.",
  "role.admin": "Admin",
  "role.cs_ops": "CS Ops",
  "role.csm": "CSM",
  "role.viewer": "Viewer",
  "users.title": "People",
  "users.name": "Name",
  "users.email": "Email",
  "users.role": "Role",
  "users.status": "Status",
  "users.active": "Active",
  "users.invited": "Invited",
  "users.disabled": "Disabled",
  "users.save": "Save",
  "users.disable": "Disable",
  "users.enable": "Enable",
  "users.invite": "Invite someone",
  "users.inviteSubmit": "Send invitation",
  "users.invitedNotice": "Invitation sent to",
  "users.taken": "That email is already a person of this workspace.",
  "users.lastAdmin": "The workspace needs at least one enabled admin.",
  "users.invalid": "Check the name and the email.",
  "setPassword.title": "Set your password",
  "setPassword.password": "New password",
  "setPassword.hint": "At least 12 characters.",
  "setPassword.submit": "Set password",
  "setPassword.expired": "This link has expired or was already used. Ask an admin for a new invitation.",
  "setPassword.done": "Your password is set. Sign in with it.",
  "forbidden.title": "Not for your role",
  "forbidden.body": "This page needs another role. Ask an admin if you need it.",
} as const;

const en = {
  ...common,
  ...homeMessages.en,
  ...inboxMessages.en,
  ...accountsMessages.en,
  ...profileMessages.en,
  ...journeysMessages.en,
  ...simulateMessages.en,
  ...templatesMessages.en,
  ...journeyEditorMessages.en,
  ...settingsMessages.en,
};

export type MessageKey = keyof typeof en;

const commonJa: Record<keyof typeof common, string> = {
  "app.name": "Volante コンソール",
  "nav.label": "メイン",
  "nav.home": "ホーム",
  "nav.users": "メンバー",
  "nav.inbox": "受信トレイ",
  "nav.accounts": "アカウント",
  "nav.journeys": "ジャーニー",
  "nav.templates": "テンプレート",
  "nav.settings": "設定",
  "nav.profile": "プロフィール",
  "nav.apiDocs": "API ドキュメント",
  skip: "本文へ移動",
  "language.label": "言語",
  "language.switch": "言語を変更",
  "signIn.title": "サインイン",
  "signIn.email": "メールアドレス",
  "signIn.password": "パスワード",
  "signIn.submit": "サインイン",
  "signIn.failed": "メールアドレスまたはパスワードが正しくありません。",
  "signIn.tooMany": "試行回数が多すぎます。1 分ほど待ってから再度お試しください。",
  signOut: "サインアウト",
  signOutEverywhere: "すべての端末からサインアウト",
  signedOutEverywhere: "すべてのブラウザからサインアウトしました。",
  "role.admin": "管理者",
  "role.cs_ops": "CS Ops",
  "role.csm": "CSM",
  "role.viewer": "閲覧者",
  "users.title": "メンバー",
  "users.name": "名前",
  "users.email": "メールアドレス",
  "users.role": "ロール",
  "users.status": "状態",
  "users.active": "有効",
  "users.invited": "招待中",
  "users.disabled": "無効",
  "users.save": "保存",
  "users.disable": "無効にする",
  "users.enable": "有効にする",
  "users.invite": "メンバーを招待",
  "users.inviteSubmit": "招待を送信",
  "users.invitedNotice": "招待を送信しました:",
  "users.taken": "このメールアドレスはすでにこのワークスペースのメンバーです。",
  "users.lastAdmin": "ワークスペースには有効な管理者が 1 人以上必要です。",
  "users.invalid": "名前とメールアドレスを確認してください。",
  "setPassword.title": "パスワードを設定",
  "setPassword.password": "新しいパスワード",
  "setPassword.hint": "12 文字以上。",
  "setPassword.submit": "パスワードを設定",
  "setPassword.expired": "このリンクは期限切れか、すでに使用されています。管理者に再招待を依頼してください。",
  "setPassword.done": "パスワードを設定しました。サインインしてください。",
  "forbidden.title": "このロールでは利用できません",
  "forbidden.body": "このページには別のロールが必要です。必要な場合は管理者に依頼してください。",
};

const ja: Record<MessageKey, string> = {
  ...commonJa,
  ...homeMessages.ja,
  ...inboxMessages.ja,
  ...accountsMessages.ja,
  ...profileMessages.ja,
  ...journeysMessages.ja,
  ...simulateMessages.ja,
  ...templatesMessages.ja,
  ...journeyEditorMessages.ja,
  ...settingsMessages.ja,
};

export const LOCALES = ["en", "ja"] as const;
export type Locale = (typeof LOCALES)[number];
export const catalogs: Record<Locale, Record<MessageKey, string>> = { en, ja };

export type T = (key: MessageKey) => string;
export const translator =
  (locale: Locale): T =>
  (key) =>
    catalogs[locale][key];

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The person's saved choice, else the cookie a signed-out visitor set, else the browser's first language we have. */
export function chooseLocale(
  saved: string | null | undefined,
  cookie: string | undefined,
  acceptLanguage: string | undefined,
): Locale {
  if (isLocale(saved)) return saved;
  if (isLocale(cookie)) return cookie;
  const ranked = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.toLowerCase().split("-")[0] ?? "", q: q === undefined ? 1 : Number(q) };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((x) => x.lang).find(isLocale) ?? "en";
}
