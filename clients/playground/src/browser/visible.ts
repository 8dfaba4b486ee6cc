// How the page shows a text: random-weight models emit control characters, shown as '·' instead of
// vanishing (newlines and tabs are kept).
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "·");
}
