// Checks every page and every email of a running generated app, as three visitors see them
// (signed out, signed in, administrator): the Nu Html Checker's errors, axe's serious and critical
// violations at desktop and phone widths in headless Chromium, and no page wider than a phone.
// Screenshots of each page at both widths are kept for people to look at.
//
//   node check.mjs BASE_URL OUT_DIR
//
// The environment names the accounts made beforehand (ci/html.sh makes them with `user create`):
// ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD; OUTBOX_DIR is the app's mail outbox;
// ROUTES the output of the app's `routes` command, so that a page no one listed here fails the run;
// VNU_JAR the Nu checker's jar; CHROMIUM the browser.
//
// Exits 1 when anything fails, listing what.

import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [base, out] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const has = (fragment) => env("ROUTES").includes(fragment);
mkdirSync(join(out, "pages"), { recursive: true });
mkdirSync(join(out, "shots"), { recursive: true });

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.log(`  FAIL ${message}`);
};

// Every HTML document checked: [file, what it is].
const documents = [];
const save = (name, html) => {
  const file = join(out, "pages", `${name}.html`);
  writeFileSync(file, html);
  documents.push([file, name]);
};

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/// A visitor: a browser context of their own (cookies), which axe may script (bypassCSP).
async function visitor(name) {
  const context = await browser.newContext({ bypassCSP: true, viewport: DESKTOP });
  const page = await context.newPage();
  return { name, context, page };
}

/// The CSRF token of the form on the page at `path`.
async function tokenOf(who, path) {
  const html = await (await who.context.request.get(base + path)).text();
  const match = html.match(/name="csrf_token" value="([^"]+)"/);
  if (!match) throw new Error(`no form token on ${path}`);
  return match[1];
}

/// Posts a form as `who` (a browser without JavaScript would), with a fresh token.
async function post(who, formPath, action, fields) {
  const csrf_token = await tokenOf(who, formPath);
  return who.context.request.post(base + action, {
    form: { csrf_token, ...fields },
    maxRedirects: 0,
    headers: { accept: "text/html" },
  });
}

async function signIn(who, email, password) {
  const response = await post(who, "/login", "/login", { email, password });
  if (response.status() !== 303) throw new Error(`${email} could not sign in: ${response.status()}`);
}

/// Axe's serious and critical violations on the page now loaded.
async function axe(page, label) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  for (const violation of results.violations) {
    if (violation.impact !== "serious" && violation.impact !== "critical") continue;
    const where = violation.nodes
      .slice(0, 3)
      .map((node) => node.target.join(" "))
      .join("; ");
    fail(`axe ${label}: ${violation.impact} ${violation.id} (${violation.help}) at ${where}`);
  }
  return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").length;
}

let axeCount = 0;

/// Checks the page at `path` as `who`: its HTML (Nu), axe and screenshots at both widths, and
/// that a phone needs no sideways scrolling.
async function checkPage(who, path, { status = 200, name } = {}) {
  const label = `${who.name} ${path}`;
  const response = await who.context.request.get(base + path, {
    maxRedirects: 0,
    headers: { accept: "text/html" },
  });
  if (response.status() !== status) {
    fail(`${label}: status ${response.status()}, expected ${status}`);
  }
  const slug = name ?? `${who.name}${path.replace(/[^a-z0-9]+/gi, "-")}`;
  // A redirect has no page of its own.
  if (status >= 300 && status < 400) return;
  save(slug, await response.text());
  await browsePage(who, path, slug, label);
}

/// Loads `path` in the browser at both widths (the phone in the dark colour scheme, so both
/// themes are checked): axe, screenshots, the phone's width. With `then`, does it (submits a
/// form…) after each load, before checking.
async function browsePage(who, path, slug, label, then) {
  for (const [width, viewport, colorScheme] of [
    ["desktop", DESKTOP, "light"],
    ["phone", PHONE, "dark"],
  ]) {
    await who.page.setViewportSize(viewport);
    await who.page.emulateMedia({ colorScheme });
    await who.page.goto(base + path);
    await who.page.waitForLoadState("networkidle");
    if (then) {
      await then(who.page);
      await who.page.waitForLoadState("networkidle");
    }
    axeCount += await axe(who.page, `${label} (${width}, ${colorScheme})`);
    await who.page.screenshot({ path: join(out, "shots", `${slug}-${width}.png`), fullPage: true });
    if (width === "phone") {
      const overflow = await who.page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      if (overflow > 0) fail(`${label}: ${overflow}px wider than a phone (390px)`);
      // The navigation's menu opens (a <details>, without JavaScript) and fits the screen.
      const menu = who.page.locator("header nav details summary");
      if ((await menu.count()) === 1) {
        await menu.click();
        await who.page.screenshot({ path: join(out, "shots", `${slug}-phone-menu.png`) });
        const links = await who.page.locator("header nav details a:visible").count();
        if (links === 0) fail(`${label}: the phone's menu opens on no links`);
      } else {
        fail(`${label}: no menu button on a phone`);
      }
    }
  }
}

/// Checks the page a refused form comes back as (422): the whole page as a browser without
/// JavaScript gets it (Nu), and the form as htmx swaps it in place, errors shown (axe).
async function checkRefusedForm(who, formPath, action, fields, slug) {
  const response = await post(who, formPath, action, fields);
  if (response.status() !== 422) {
    fail(`${who.name} ${action}: status ${response.status()} for a refused form, expected 422`);
  }
  save(slug, await response.text());
  await browsePage(who, formPath, slug, `${who.name} ${action} refused`, async (page) => {
    const form = page.locator(`form[action="${action}"]`).first();
    for (const [name, value] of Object.entries(fields)) {
      await form.locator(`[name="${name}"]`).fill(value);
    }
    await form.locator('button[type="submit"]').click();
    await page.waitForSelector(`form[action="${action}"] [aria-invalid="true"], form[action="${action}"] [role="alert"]`);
  });
}

/// Checks the flash message a form leaves on the next page, after a submission in the browser.
async function checkFlash(who, formPath, action, fields, slug) {
  await browsePage(who, formPath, slug, `${who.name} ${action} then its message`, async (page) => {
    const form = page.locator(`form[action="${action}"]`).first();
    for (const [name, value] of Object.entries(fields)) {
      await form.locator(`[name="${name}"]`).fill(value);
    }
    await form.locator('button[type="submit"]').click();
    await page.waitForSelector("[data-flash-level]");
  });
}

/// Saves an error page reached by `method` (a 405, a 413…).
async function checkError(who, method, path, status, options = {}) {
  const response = await who.context.request.fetch(base + path, {
    method,
    maxRedirects: 0,
    headers: { accept: "text/html" },
    ...options,
  });
  if (response.status() !== status) {
    fail(`${who.name} ${method} ${path}: status ${response.status()}, expected ${status}`);
  }
  save(`${who.name}-${status}`, await response.text());
}

/// The code an authenticator app shows now for the base32 `key` (RFC 6238: SHA-1, 6 digits, 30 s).
function totpCode(key) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...key.replace(/\s/g, "")].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const secret = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/// Checks a page that is the answer to a POST (no URL shows it again): Nu, and axe at a phone's
/// width.
async function checkAnswer(who, response, slug) {
  if (response.status() !== 200) fail(`${who.name} ${slug}: status ${response.status()}, expected 200`);
  const html = await response.text();
  save(slug, html);
  const page = await who.context.newPage();
  await page.setViewportSize(PHONE);
  await page.route(`${base}/__answer`, (route) => route.fulfill({ contentType: "text/html", body: html }));
  await page.goto(`${base}/__answer`);
  axeCount += await axe(page, `${who.name} ${slug}`);
  await page.screenshot({ path: join(out, "shots", `${slug}-phone.png`), fullPage: true });
  await page.close();
  return html;
}

/// The link to `path` in the newest outbox email to `to`.
function linkFromOutbox(to, path) {
  const emails = readdirSync(env("OUTBOX_DIR"))
    .filter((file) => file.endsWith(".eml"))
    .map((file) => readFileSync(join(env("OUTBOX_DIR"), file), "utf8"))
    .filter((raw) => raw.includes(`To: ${to}`) || raw.includes(`<${to}>`));
  for (const raw of emails.reverse()) {
    const unfolded = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const match = unfolded.match(new RegExp(`https?://[^\\s"<>]*${path}\\?token=[A-Za-z0-9_-]+`));
    if (match) return new URL(match[0]).pathname + new URL(match[0]).search;
  }
  throw new Error(`no link to ${path} mailed to ${to}`);
}

// The pages each route leads to, as each visitor sees them. A GET route that none of these
// covers fails the run: add it here.
const covered = new Set(["/static", "/health", "/ready", "/files/{key}", "/dev/mail/{id}/html"]);
const visit = async (who, path, options) => {
  covered.add(options?.route ?? path.split("?")[0]);
  await checkPage(who, path, options);
};

const anonymous = await visitor("anonymous");
const accounts = has("/login");
for (const path of ["/", "/about", "/contact"]) await visit(anonymous, path);
// The pages `just g page` wrote (ci/generators.sh), as a visitor sees them.
for (const path of (process.env.GENERATED_PAGES ?? "").split(/\s+/).filter(Boolean)) {
  await visit(anonymous, path);
}
await checkPage(anonymous, "/no/such/page", { status: 404, name: "anonymous-404" });
await checkRefusedForm(anonymous, "/contact", "/contact", { name: "", email: "bad", message: "" }, "anonymous-contact-422");
await checkFlash(anonymous, "/contact", "/contact", { name: "Ada", email: "ada@example.com", message: "Hello." }, "anonymous-contact-sent");
await checkError(anonymous, "PUT", "/about", 405);
await post(anonymous, "/contact", "/contact", {
  name: "Ada",
  email: "ada@example.com",
  message: "Hello there.\nA second line.",
});

if (accounts) {
  for (const path of ["/login", "/login/link", "/register", "/forgot-password", "/resend-verification"]) {
    await visit(anonymous, path);
  }
  await visit(anonymous, "/verify-email?token=expired", { status: 404 });
  await visit(anonymous, "/reset-password?token=expired", { status: 404 });
  await visit(anonymous, "/login/link/open?token=expired", { status: 404, name: "anonymous-sign-in-link-expired" });
  await checkRefusedForm(anonymous, "/login/link", "/login/link", { email: "not an address" }, "anonymous-sign-in-link-422");
  await checkRefusedForm(anonymous, "/register", "/register", { email: "not an address", password: "short" }, "anonymous-register-422");
  await checkRefusedForm(anonymous, "/login", "/login", { email: "nobody@example.com", password: "wrong password" }, "anonymous-login-422");
  // Emails of every kind, for the outbox: a confirmation, "you already have an account", a reset,
  // a sign-in link (to the admin, whose inbox has room in its hourly share).
  await post(anonymous, "/register", "/register", { email: "new.person@example.com", password: "a long enough password" });
  await post(anonymous, "/register", "/register", { email: env("USER_EMAIL"), password: "a long enough password" });
  await post(anonymous, "/forgot-password", "/forgot-password", { email: env("USER_EMAIL") });
  await post(anonymous, "/login", "/login/link", { email: env("ADMIN_EMAIL") });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the worker sends them
  await visit(anonymous, linkFromOutbox("new.person@example.com", "/verify-email"), { route: "/verify-email", name: "anonymous-verify-email-form" });
  await visit(anonymous, linkFromOutbox(env("USER_EMAIL"), "/reset-password"), { route: "/reset-password", name: "anonymous-reset-password-form" });
  await visit(anonymous, linkFromOutbox(env("ADMIN_EMAIL"), "/login/link/open"), { route: "/login/link/open", name: "anonymous-sign-in-link-form" });
  await checkPage(anonymous, "/account", { status: 303, name: "anonymous-account-redirect" });
  covered.add("/account");

  const user = await visitor("user");
  await signIn(user, env("USER_EMAIL"), env("USER_PASSWORD"));
  for (const path of ["/", "/about", "/contact", "/account"]) await visit(user, path);
  await checkPage(user, "/no/such/page", { status: 404, name: "user-404" });
  await checkRefusedForm(user, "/account", "/account/email", { email: "not an address", current_password: "" }, "user-account-422");
  await post(user, "/account", "/account/email", { email: "user.new@example.com", current_password: env("USER_PASSWORD") });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await visit(user, linkFromOutbox("user.new@example.com", "/account/email/confirm"), { route: "/account/email/confirm", name: "user-confirm-email" });
  if (has("/admin")) {
    await checkPage(user, "/admin", { status: 403, name: "user-403" });
  }
  if (has("/files")) {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
        "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082",
      "hex",
    );
    const csrf_token = await tokenOf(user, "/files");
    await user.context.request.post(`${base}/files?csrf_token=${csrf_token}`, {
      multipart: { file: { name: "a holiday photo with a long name.png", mimeType: "image/png", buffer: png } },
      maxRedirects: 0,
    });
    await visit(user, "/files");
  }

  // Two-factor sign-in: set up, the recovery codes shown once, managed, the second step of
  // signing in (refused), then off again for the checks below that sign in as this user.
  await visit(user, "/account/two-factor", { name: "user-two-factor-setup" });
  const setup = await (await user.context.request.get(`${base}/account/two-factor`)).text();
  const key = setup.match(/data-testid="totp-secret"[^>]*>([^<]+)</)[1];
  const codes = await checkAnswer(
    user,
    await post(user, "/account/two-factor", "/account/two-factor", { code: totpCode(key), current_password: env("USER_PASSWORD") }),
    "user-two-factor-recovery-codes",
  );
  const recoveryCode = codes.match(/<li>([a-z2-7]{5}-[a-z2-7]{5})<\/li>/)[1];
  await visit(user, "/account/two-factor", { name: "user-two-factor-manage" });
  await visit(user, "/account", { name: "user-account-two-factor-on" });
  const secondStep = await visitor("second-step");
  await signIn(secondStep, env("USER_EMAIL"), env("USER_PASSWORD"));
  await visit(secondStep, "/login/two-factor");
  await checkRefusedForm(secondStep, "/login/two-factor", "/login/two-factor", { code: "000000" }, "second-step-422");
  const off = await post(user, "/account/two-factor", "/account/two-factor/disable", { current_password: env("USER_PASSWORD"), code: recoveryCode });
  if (off.status() !== 303) fail(`user /account/two-factor/disable: status ${off.status()}, expected 303`);

  // Passkeys: the list (empty; adding one takes a device, which the browser tests emulate) and
  // the add form refused without a name or the password.
  await visit(user, "/account/passkeys", { name: "user-passkeys" });
  await checkRefusedForm(user, "/account/passkeys", "/account/passkeys", { name: "", current_password: "" }, "user-passkeys-422");

  // A passkey made by Chromium's virtual authenticator (DevTools protocol), as a phone's would
  // be: the list holding it, the second step offering it; then removed for the checks below.
  const cdp = await user.context.newCDPSession(user.page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await user.page.goto(`${base}/account/passkeys`);
  await user.page.fill("form[data-passkey=add] input[name=name]", "Work laptop");
  await user.page.fill("form[data-passkey=add] input[name=current_password]", env("USER_PASSWORD"));
  await user.page.click("form[data-passkey=add] button");
  await user.page.waitForSelector("[data-testid=recovery-codes]");
  await visit(user, "/account/passkeys", { name: "user-passkeys-listed" });
  const withPasskey = await visitor("second-step-passkey");
  await signIn(withPasskey, env("USER_EMAIL"), env("USER_PASSWORD"));
  await visit(withPasskey, "/login/two-factor", { name: "second-step-passkey" });
  const listed = await (await user.context.request.get(`${base}/account/passkeys`)).text();
  const passkeyId = listed.match(/action="\/account\/passkeys\/(\d+)\/remove"/)[1];
  const removed = await post(user, "/account/passkeys", `/account/passkeys/${passkeyId}/remove`, { current_password: env("USER_PASSWORD") });
  if (removed.status() !== 303) fail(`user /account/passkeys/{id}/remove: status ${removed.status()}, expected 303`);
  await cdp.send("WebAuthn.disable");

  // Sign-in with another provider (the oauth option): provider "test" is the app's own test
  // OpenID provider, started by ci/lib.sh. A newcomer signs up through its pages in the browser.
  if (has("/account/connections")) {
    await visit(user, "/account/connections", { name: "user-connections-none" });
    await checkPage(anonymous, "/login/oauth/test/callback?code=forged&state=forged", {
      status: 400,
      name: "anonymous-oauth-refused",
    });
    covered.add("/login/oauth/{provider}/callback");
    // Without JavaScript, the button's answer is a page with the link on to the provider.
    const leaving = await post(anonymous, "/login", "/login/oauth/test", {});
    if (leaving.status() !== 200) fail(`anonymous /login/oauth/test: status ${leaving.status()}, expected 200`);
    save("anonymous-oauth-continue", await leaving.text());
    const newcomer = await visitor("newcomer");
    await newcomer.page.goto(`${base}/login`);
    await newcomer.page.click("[data-testid=providers] button");
    await newcomer.page.fill("input[name=login]", "newcomer@example.com");
    await newcomer.page.fill("input[name=password]", "anything");
    await newcomer.page.click("button[type=submit]");
    await newcomer.page.click("input[name=prompt][value=consent] ~ button");
    await newcomer.page.waitForURL(`${base}/`);
    await visit(newcomer, "/account/connections", { name: "newcomer-connections" });
    await visit(newcomer, "/account", { name: "newcomer-account" });
  }

  if (has("/admin")) {
    const admin = await visitor("admin");
    await signIn(admin, env("ADMIN_EMAIL"), env("ADMIN_PASSWORD"));
    const users = await (await admin.context.request.get(`${base}/admin/users`)).text();
    const id = users.match(/href="\/admin\/users\/(\d+)"/)[1];
    await visit(admin, "/admin");
    await visit(admin, "/admin/users", { route: "/admin/{resource}" });
    await visit(admin, "/admin/users?q=example&sort=-email", { route: "/admin/{resource}", name: "admin-users-searched" });
    await visit(admin, "/admin/users/new", { route: "/admin/{resource}/new" });
    await visit(admin, `/admin/users/${id}`, { route: "/admin/{resource}/{id}" });
    await visit(admin, `/admin/users/${id}/edit`, { route: "/admin/{resource}/{id}/edit" });
    await visit(admin, `/admin/users/${id}/delete`, { route: "/admin/{resource}/{id}/delete" });
    await checkRefusedForm(admin, "/admin/users/new", "/admin/users", { email: "not an address", password_hash: "short" }, "admin-user-form-422");
    await checkError(admin, "GET", "/admin/users?page=0", 400);
    if (has("/admin/tasks")) await visit(admin, "/admin/tasks");
    await visit(admin, "/account");
  }
}
// The resources `just g scaffold` wrote (ci/generators.sh), in the order they were written (a
// reference may name an earlier one): the list, the form empty and refused, then filled in by the
// browser and saved; the new row's page, its form and its confirmation; the list with the row.
const scaffolds = (process.env.GENERATED_SCAFFOLDS ?? "").split(/\s+/).filter(Boolean);
if (scaffolds.length) {
  const writer = await visitor("writer");
  if (accounts) await signIn(writer, env("USER_EMAIL"), env("USER_PASSWORD"));
  const made = {}; // list URL → id of the row saved here
  for (const list of scaffolds) {
    const slug = `writer${list.replace(/[^a-z0-9]+/gi, "-")}`;
    await visit(writer, `${list}/new`);
    await checkRefusedForm(writer, `${list}/new`, list, {}, `${slug}-422`);
    const id = await fillAndSave(writer.page, list, made);
    if (id === null) continue;
    made[list] = id;
    await visit(writer, list);
    await visit(writer, `${list}?q=a&sort=-id`, { route: list, name: `${slug}-searched` });
    await visit(writer, `${list}/${id}`, { route: `${list}/{id}` });
    await visit(writer, `${list}/${id}/edit`, { route: `${list}/{id}/edit` });
    await visit(writer, `${list}/${id}/delete`, { route: `${list}/{id}/delete` });
  }
}

/// Fills in the form at `list`/new as a person would, from what each field says of itself (its
/// type, its keyboard, its hint), saves it, and returns the new row's id (null when it failed).
async function fillAndSave(page, list, made) {
  await page.setViewportSize(DESKTOP);
  await page.goto(`${base}${list}/new`);
  const form = page.locator(`form[action="${list}"]`);
  const fields = await form.evaluate((form) =>
    [...form.querySelectorAll("input:not([type=hidden]), select, textarea")].map((field) => ({
      name: field.name,
      tag: field.tagName.toLowerCase(),
      type: field.type,
      inputmode: field.getAttribute("inputmode") ?? "",
      monospace: field.classList.contains("font-mono"),
      required: field.required,
      hint: document.getElementById(`${field.id}-hint`)?.textContent ?? "",
    })),
  );
  const unique = `${Date.now()}`.slice(-6);
  for (const field of fields) {
    const input = form.locator(`[name="${field.name}"]`);
    // A reference: to a scaffold's row made before, to a user (the administrator, the first),
    // or to a table without pages, left empty when it may be.
    const page = field.hint.match(/as in (\/[a-z0-9-]+)\/7/);
    const reference = page ? made[page[1]] : /^The number \(id\) of a user\./.test(field.hint) ? 1 : undefined;
    if (page || field.hint.startsWith("The number (id) of")) {
      if (reference) await input.fill(String(reference));
      else if (field.required) {
        fail(`${list}/new: ${field.name} needs a row no form before it made (${field.hint})`);
        return null;
      }
    } else if (field.tag === "select") await input.selectOption({ index: 1 });
    else if (field.type === "checkbox") await input.check();
    else if (field.tag === "textarea") await input.fill(field.monospace ? '{"size": 3}' : "Two lines,\nof text.");
    else if (field.type === "date") await input.fill("2026-12-31");
    else if (field.type === "datetime-local") await input.fill("2026-12-31T18:30");
    else if (field.hint.startsWith("Such as ") && field.hint.includes("-")) await input.fill(crypto.randomUUID());
    else if (field.inputmode === "numeric") await input.fill("7");
    else if (field.inputmode === "decimal") await input.fill("1.5");
    else await input.fill(`A ${field.name} ${unique}`);
  }
  await form.locator('button[type="submit"]').click();
  try {
    await page.waitForURL(new RegExp(`${list}/\\d+$`), { timeout: 10_000 });
  } catch {
    const errors = await page.locator(".text-error, [role=alert]").allTextContents();
    fail(`${list}/new: the form filled in was not saved: ${errors.join("; ")}`);
    return null;
  }
  return Number(new URL(page.url()).pathname.split("/").pop());
}

if (has("/dev/mail")) await visit(anonymous, "/dev/mail");

// Every GET route is covered.
for (const line of env("ROUTES").split("\n")) {
  const [method, path] = line.trim().split(/\s+/);
  if (method === "GET" && path && !covered.has(path)) fail(`no page of ${path} was checked: add it to ci/html/check.mjs`);
}

// The emails, as an email client would get them: their HTML parts, checked as pages.
const emails = await visitor("email");
for (const file of readdirSync(env("OUTBOX_DIR")).filter((f) => f.endsWith(".eml"))) {
  const id = file.replace(/\.eml$/, "");
  const html = await (await emails.context.request.get(`${base}/dev/mail/${id}/html`)).text();
  const subject = readFileSync(join(env("OUTBOX_DIR"), file), "utf8").match(/^Subject: (.*)$/m)?.[1] ?? id;
  const slug = `email-${subject.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`;
  save(slug, html);
  await emails.page.setViewportSize(PHONE);
  await emails.page.setContent(html);
  axeCount += await axe(emails.page, `email "${subject}"`);
}

await browser.close();

// The Nu Html Checker, on every document at once.
const nu = spawnSync(
  "java",
  ["-jar", env("VNU_JAR"), "--format", "json", "--errors-only", ...documents.map(([file]) => file)],
  { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
const messages = JSON.parse(nu.stderr || '{"messages": []}').messages;
for (const message of messages) {
  const name = documents.find(([file]) => message.url?.endsWith(file))?.[1] ?? message.url;
  fail(`Nu ${name}:${message.lastLine ?? "?"}: ${message.message} (${(message.extract ?? "").trim().slice(0, 80)})`);
}

console.log(
  `\nchecked ${documents.length} documents: ${messages.length} Nu errors, ${axeCount} serious or critical axe violations, ${failures.length} failures in all`,
);
console.log(`screenshots: ${join(out, "shots")}`);
process.exit(failures.length === 0 ? 0 : 1);
