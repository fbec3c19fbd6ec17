// Optional extra: a copy button beside each citation. Pages work without it (the field is selectable).
document.querySelectorAll(".citation").forEach((box) => {
  const field = box.querySelector(".cite-text");
  const button = box.querySelector(".copy");
  if (!field || !button || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    } catch {
      field.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
});

// Print everything: open folded unchanged text and collapsed sections before printing.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details:not([open])").forEach((d) => { d.dataset.printOpened = "1"; d.open = true; });
});
window.addEventListener("afterprint", () => {
  document.querySelectorAll("details[data-print-opened]").forEach((d) => { d.open = false; delete d.dataset.printOpened; });
});
