// rnnbook: search summaries are cut from the pages' HTML, where inline maths is still
// its TeX source between \( and \). Drop the delimiters so a summary reads "D", not "\(D\)".
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (html, anchor) =>
    htmlToText(html, anchor).replace(/\\\(|\\\)|\\\[|\\\]/g, "");
});
