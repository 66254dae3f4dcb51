// Click a column header to sort its table; numbers sort by their data-value, text by its content.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable th").forEach((header, column) => {
    header.addEventListener("click", () => {
      const body = header.closest("table").tBodies[0];
      const ascending = header.dataset.order !== "asc";
      header.dataset.order = ascending ? "asc" : "desc";
      const key = (row) => {
        const cell = row.cells[header.cellIndex];
        if (cell.dataset.value === undefined) return cell.textContent.trim();
        const number = Number(cell.dataset.value);
        return Number.isNaN(number) ? -Infinity : number; // an unknown value sorts first, not at random
      };
      const rows = Array.from(body.rows).sort((a, b) => {
        const x = key(a), y = key(b);
        const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
