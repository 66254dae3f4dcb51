// Click a column header to sort its table; numbers sort by their data-value, text by its content.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable th").forEach((header, column) => {
    header.addEventListener("click", () => {
      const body = header.closest("table").tBodies[0];
      const ascending = header.dataset.order !== "asc";
      header.dataset.order = ascending ? "asc" : "desc";
      const key = (row) => {
        const cell = row.cells[header.cellIndex];
        return cell.dataset.value !== undefined ? Number(cell.dataset.value) : cell.textContent.trim();
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
