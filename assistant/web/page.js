() => {
  // Sorting an answer's table by a click on its header (assistant/web/turns.py writes the tables): numbers and
  // dates by the raw value in each cell's title, text by what it shows (a value shown by
  // its English name too); the first rows stay the visible ones.
  const SHOWN = 10;
  const key = (row, i) => {
    const cell = row.cells[i];
    if (!cell) return "";
    const raw = cell.classList.contains("named") ? null : cell.getAttribute("title");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) return Number(raw);
    return raw || cell.textContent.trim();
  };
  document.addEventListener("click", (ev) => {
    const th = ev.target.closest && ev.target.closest("table.ans-table th");
    if (!th) return;
    const table = th.closest("table");
    const i = Array.from(th.parentNode.children).indexOf(th);
    const body = table.tBodies[0];
    const up = th.getAttribute("aria-sort") !== "ascending";
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = key(a, i), y = key(b, i);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
      return up ? c : -c;
    });
    rows.forEach((r, n) => { r.classList.toggle("more", n >= SHOWN); body.appendChild(r); });
    Array.from(th.parentNode.children).forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
  });
}
