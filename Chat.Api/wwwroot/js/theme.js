// The colour theme, applied before the page is drawn (loaded from <head>, so there is no flash of the other theme).
// Without a choice the page follows the system setting (prefers-color-scheme); the toggle's choice is remembered.
"use strict";
window.ChatTheme = (() => {
  const KEY = "chataspire.theme";
  const system = matchMedia("(prefers-color-scheme: dark)");
  const chosen = () => localStorage.getItem(KEY);
  const current = () => chosen() || (system.matches ? "dark" : "light");
  const apply = () => { document.documentElement.dataset.theme = current(); };
  apply();
  system.addEventListener("change", apply);
  return {
    current,
    /** Switches to the other theme and remembers it; returns the theme now shown. */
    toggle() {
      localStorage.setItem(KEY, current() === "dark" ? "light" : "dark");
      apply();
      return current();
    },
  };
})();
