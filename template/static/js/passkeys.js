// Passkeys: the browser's half of WebAuthn, for the forms marked data-passkey (see
// src/views/pages/passkeys.rs). A file of its own: the Content-Security-Policy allows no inline
// script.
//
// Each such form asks its data-passkey-challenge URL for a challenge (a POST with the CSRF
// header, and the form's fields), has the device answer it, puts the answer (JSON) in the form's
// `credential` field and sends the form as htmx sends any other. The server checks everything;
// this file only carries messages between it and the device.
//
// - data-passkey="add": a new passkey (the challenge also checks the form's name and password;
//   when it refuses, the form is sent as it is, and the page comes back with the errors).
// - data-passkey="sign-in": a passkey signs in. The email field (autocomplete="… webauthn") also
//   offers the site's passkeys among its suggestions, where the browser can (conditional UI).
// - data-passkey="second-step": a passkey passes the second step of signing in.
"use strict";

(() => {
  // WebAuthn, with the JSON helpers of current browsers (Chromium 129, Firefox 119, Safari 18.4).
  const supported =
    typeof window.PublicKeyCredential?.parseCreationOptionsFromJSON === "function" &&
    typeof window.PublicKeyCredential?.parseRequestOptionsFromJSON === "function";

  // The CSRF token, as the layout hands it to htmx.
  const csrfHeaders = () => {
    try {
      return JSON.parse(document.body.dataset.hxHeaders || "{}");
    } catch {
      return {};
    }
  };

  const say = (form, message) => {
    const line = form.querySelector("[data-passkey-message]");
    if (line) {
      line.textContent = message;
      line.hidden = !message;
      if (message) {
        line.setAttribute("role", "alert");
      } else {
        line.removeAttribute("role");
      }
    }
  };

  // What went wrong on the device, in words (the name of a DOMException is standard).
  const explain = (error) => {
    switch (error && error.name) {
      case "NotAllowedError":
        return "The passkey was not used: the request was cancelled or timed out.";
      case "InvalidStateError":
        return "This device already has a passkey for your account.";
      case "AbortError":
        return "";
      default:
        return "Your browser could not use a passkey here.";
    }
  };

  // The challenge (JSON), or why there is none: "refused" (the form's fields are wrong: the
  // server shows why when the form is sent), "busy" (too many tries), "failed".
  const challenge = async (form, signal) => {
    const response = await fetch(form.dataset.passkeyChallenge, {
      method: "POST",
      credentials: "same-origin",
      headers: { ...csrfHeaders(), Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
      signal,
    });
    const json = (response.headers.get("content-type") || "").includes("application/json");
    if (response.ok && json) {
      return { options: await response.json() };
    }
    if (response.status === 422) {
      return { refused: true };
    }
    return { problem: response.status === 429 ? "busy" : "failed" };
  };

  const PROBLEMS = {
    busy: "Too many tries from your network: wait a minute, then try again.",
    failed: "The site could not start a passkey request. Reload the page and try again.",
    expired: "This sign-in has expired: start again from the sign-in page.",
  };

  // Fills in the answer and sends the form, past the listener below.
  const send = (form, credential) => {
    form.elements.credential.value = credential ? JSON.stringify(credential.toJSON()) : "";
    const remember = document.querySelector("input[type=checkbox][name=remember]");
    if (form.elements.remember && remember) {
      form.elements.remember.value = remember.checked ? "on" : "";
    }
    form.dataset.passkeyReady = "true";
    form.requestSubmit();
  };

  // A sign-in offered in the email field's suggestions, waiting until the user picks a passkey.
  let waiting = null;
  const stopWaiting = () => {
    if (waiting) {
      waiting.abort();
      waiting = null;
    }
  };

  const run = async (form) => {
    stopWaiting();
    say(form, "");
    const kind = form.dataset.passkey;
    let answer;
    try {
      answer = await challenge(form);
    } catch {
      say(form, "The site could not be reached. Try again.");
      return;
    }
    if (answer.refused && kind === "add") {
      // A wrong password, a missing name…: the form, sent as it is, comes back saying so.
      send(form, null);
      return;
    }
    if (!answer.options) {
      say(form, answer.refused ? PROBLEMS.expired : PROBLEMS[answer.problem]);
      return;
    }
    const options = answer.options;
    try {
      const credential =
        kind === "add"
          ? await navigator.credentials.create({
              publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
            })
          : await navigator.credentials.get({
              publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
            });
      send(form, credential);
    } catch (error) {
      say(form, explain(error));
      offerInEmailField(); // The button's request ended: the field may offer passkeys again.
    }
  };

  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target.closest("form[data-passkey]");
      if (!form) {
        return;
      }
      if (form.dataset.passkeyReady === "true") {
        delete form.dataset.passkeyReady;
        return; // The answer is in: htmx sends it.
      }
      // Before htmx's own listener on the form (this one listens in the capture phase).
      event.preventDefault();
      event.stopPropagation();
      if (supported) {
        run(form);
      }
    },
    true,
  );

  // Conditional UI: the email field of the sign-in page lists the site's passkeys. One request
  // at a time (htmx:load fires for each element a swap brings), renewed before the server's
  // challenge expires (five minutes).
  const RENEW_AFTER_MS = 4 * 60 * 1000;
  const offerInEmailField = async () => {
    const form = document.querySelector("form[data-passkey=sign-in]");
    const field = document.querySelector("input[autocomplete~=webauthn]");
    if (!supported || !form || !field || waiting) {
      return;
    }
    const controller = new AbortController();
    waiting = controller; // Before any await: the next htmx:load finds it taken.
    const renew = setTimeout(() => {
      if (waiting === controller) {
        stopWaiting();
        offerInEmailField();
      }
    }, RENEW_AFTER_MS);
    try {
      if (!(await PublicKeyCredential.isConditionalMediationAvailable?.())) {
        return;
      }
      const answer = await challenge(form, controller.signal);
      if (!answer.options || controller.signal.aborted) {
        return;
      }
      const credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(answer.options.publicKey),
        mediation: "conditional",
        signal: controller.signal,
      });
      if (waiting === controller) {
        waiting = null;
      }
      send(form, credential);
    } catch (error) {
      if (!controller.signal.aborted) {
        say(form, explain(error));
      }
    } finally {
      clearTimeout(renew);
      if (waiting === controller) {
        waiting = null;
      }
    }
  };

  // Where passkeys cannot work, their forms say so instead of offering a button.
  const hideUnsupported = (root) => {
    if (supported) {
      return;
    }
    for (const form of root.querySelectorAll("form[data-passkey]")) {
      say(form, "This browser cannot use passkeys.");
      form.querySelector("button")?.setAttribute("disabled", "");
    }
  };

  // Another page is on its way: a waiting request would hold the old page's challenge.
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (!event.target.closest?.("form[data-passkey]")) {
      stopWaiting();
    }
  });
  document.addEventListener("htmx:load", (event) => {
    hideUnsupported(event.target);
    offerInEmailField();
  });
})();
