// Development only: included by the layout when the app is built with the `livereload` feature
// (`just dev` does). Reloads the page when the server comes back after a restart.
//
// The server (tower-livereload) sends an `init` event on each new connection to this stream. The
// first one belongs to this page load; another one means the server restarted with new code.
(() => {
  let connected = false;
  const events = new EventSource("/_dev/livereload/event-stream");
  events.addEventListener("init", () => {
    if (connected) {
      window.location.reload();
    }
    connected = true;
  });
})();
