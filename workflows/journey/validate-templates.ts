import type { Step } from "./schema";
import { didYouMean, type Found } from "./validate-problems";
import { isSuppliedVariable, type TemplateInfo, templateVariables } from "./variables";

export type TemplateLookup = (key: string) => TemplateInfo | undefined;

/** Each touch names a known template of its own channel that uses only variables a journey supplies. */
export function templateProblems(steps: readonly Step[], templates: TemplateLookup): Found[] {
  const problems: Found[] = [];
  steps.forEach((step, index) => {
    if (step.type !== "email" && step.type !== "in_app") return;
    const path = ["steps", index, "template"];
    const template = templates(step.template);
    if (template === undefined) {
      problems.push({ path, message: `unknown template "${step.template}"`, rule: "unknown_template" });
      return;
    }
    if (template.channel !== step.type) {
      problems.push({
        path,
        message: `template "${step.template}" is an ${template.channel} template; an ${step.type} step needs an ${step.type} template`,
        rule: "template_channel",
      });
    }
    for (const variable of new Set(template.variables)) {
      if (isSuppliedVariable(variable)) continue;
      problems.push({
        path,
        message: `template "${step.template}" uses "${variable}", which a journey does not supply${didYouMean(variable, templateVariables)}`,
        rule: "unknown_variable",
      });
    }
  });
  return problems;
}
