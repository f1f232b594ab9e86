// Behaviour every page shares. No inline handlers anywhere: the page CSP runs no inline script
// without its nonce, so a select that submits its form on change says so with data-autosubmit.
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
});
// "Back" links (error pages) go back in the history when there is one, else to their href.
document.addEventListener("click", function (e) {
  var a = e.target && e.target.closest ? e.target.closest("a[data-back]") : null;
  if (a && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
