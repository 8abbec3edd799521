// Upload progress: while htmx sends a form holding a <progress data-upload-progress>, show the
// bar and move it along. (A file of its own: the Content-Security-Policy allows no inline script.)
document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = event.target.querySelector?.("progress[data-upload-progress]");
  if (!bar || !event.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
});
