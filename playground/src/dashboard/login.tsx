/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Sign-in form: the token is kept in sessionStorage only.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { hallUrl, loginError, token, TOKEN_KEY, URL_KEY } from "./state.ts";
import { TextInput } from "../ui.tsx";

const typedToken = signal("");

/** The sign-in form. */
export function Login(): JSX.Element {
  return (
    <main class="card login">
      <h2>Sign in to the hall</h2>
      <p>
        Paste the admin (or namespace) token the hall printed when it started. It is kept in this
        tab's sessionStorage only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const t = typedToken.value.trim();
          if (!t) {
            loginError.value = "Enter a token.";
            return;
          }
          sessionStorage.setItem(TOKEN_KEY, t);
          sessionStorage.setItem(URL_KEY, hallUrl.value);
          loginError.value = null;
          typedToken.value = "";
          token.value = t;
        }}
      >
        <TextInput
          id="hall-url"
          label="Hall URL"
          value={hallUrl.value}
          onInput={(v) => (hallUrl.value = v.replace(/\/+$/, ""))}
        />
        <TextInput
          id="token"
          label="Token"
          type="password"
          value={typedToken.value}
          onInput={(v) => (typedToken.value = v)}
        />
        <button type="submit" class="primary" id="sign-in">Sign in</button>
      </form>
      {loginError.value && <p class="error" role="alert">{loginError.value}</p>}
    </main>
  );
}
