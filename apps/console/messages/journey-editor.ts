import { catalog } from "./catalog";

/** The journey editor's words (keys start with "journeyEditor."). */
export const journeyEditorMessages = catalog(
  {
    "journeyEditor.edit": "Edit the draft",
    "journeyEditor.title": "Edit the draft",
    "journeyEditor.definition": "Definition",
    "journeyEditor.hint":
      "The journey as JSON. Problems are checked as you type and listed below the editor; a draft with problems is saved, and can be published once they are fixed.",
    "journeyEditor.save": "Save draft",
    "journeyEditor.back": "Back to the journey",
    "journeyEditor.problems": "Problems",
    "journeyEditor.noProblems": "No problems: the draft can be published.",
    "journeyEditor.document": "(whole document)",
    "journeyEditor.syntax": "This is not valid JSON: it stops being JSON at line",
    "journeyEditor.column": "column",
    "journeyEditor.saved": "Draft saved.",
    "journeyEditor.savedWithProblems": "Draft saved. Fix the problems below before publishing.",
    "journeyEditor.notSaved": "Not saved: the text is not shaped like a journey. Fix the problems below.",
    "journeyEditor.refused": "Not saved:",
    "journeyEditor.checking": "Checking…",
    "journeyEditor.goTo": "Go to",
  },
  {
    "journeyEditor.edit": "下書きを編集",
    "journeyEditor.title": "下書きを編集",
    "journeyEditor.definition": "定義",
    "journeyEditor.hint":
      "ジャーニーの JSON です。入力中に問題をチェックし、エディタの下に一覧します。問題のある下書きも保存でき、問題を直すと公開できます。",
    "journeyEditor.save": "下書きを保存",
    "journeyEditor.back": "ジャーニーに戻る",
    "journeyEditor.problems": "問題",
    "journeyEditor.noProblems": "問題はありません。この下書きは公開できます。",
    "journeyEditor.document": "(文書全体)",
    "journeyEditor.syntax": "JSON として正しくありません。問題の位置: 行",
    "journeyEditor.column": "列",
    "journeyEditor.saved": "下書きを保存しました。",
    "journeyEditor.savedWithProblems": "下書きを保存しました。公開する前に下の問題を直してください。",
    "journeyEditor.notSaved": "保存していません。ジャーニーの形になっていません。下の問題を直してください。",
    "journeyEditor.refused": "保存できません:",
    "journeyEditor.checking": "チェック中…",
    "journeyEditor.goTo": "移動",
  },
);
