// axis-filter.js — an axis <select data-axis-of="ID"> offers only the axes
// of the pillar chosen in the <select id="ID">.
//
// The axes are grouped in <optgroup data-pillar="KEY">. Without a pillar
// every group shows. Choosing another pillar clears an axis of the old one.
// Without JavaScript all the axes show and the server refuses an axis
// outside the pillar with a message beside the field.

/** startAxisFilters wires every axis select of the page; app.js calls it once. */
export function startAxisFilters(root = document) {
  for (const axis of root.querySelectorAll("select[data-axis-of]")) {
    const pillar = document.getElementById(axis.dataset.axisOf);
    if (!pillar) continue;
    const sync = (clear) => {
      const chosen = pillar.value;
      for (const group of axis.querySelectorAll("optgroup[data-pillar]")) {
        const on = !chosen || group.dataset.pillar === chosen;
        group.hidden = !on;
        group.disabled = !on;
      }
      const option = axis.selectedOptions[0];
      if (clear && option?.parentElement?.disabled) axis.value = "";
    };
    pillar.addEventListener("change", () => sync(true));
    // On load the choice stays as the server sent it (a refused axis keeps
    // its message beside it until the person changes something).
    sync(false);
  }
}
