/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * First-run setup, offered while the hall has no namespace and only its bootstrap admin token:
 * create the first namespace (its owner token shown once), a second admin token for the person
 * who approves held requests, then enrol a worker.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { act, client, hallUrl, namespaces, revealed, setupOpen, tab, tokens } from "./state.ts";
import { NamespaceForm } from "./tenants.tsx";
import { TextInput } from "../ui.tsx";

const approverLabel = signal("approver");

/** The Setup tab. */
export function Setup(): JSX.Element {
  const ns = namespaces.value;
  const admins = (tokens.value ?? []).filter((t) => t.role === "admin" && !t.revoked_at);
  return (
    <section class="card setup" aria-labelledby="h-setup" id="setup">
      <h2 id="h-setup">Set up this hall</h2>
      <p>
        This hall has no namespace yet and one admin token (the one it printed at its first start,
        which you signed in with). Three steps make it usable.
      </p>
      <ol class="steps">
        <li data-step="namespace" class={ns.length ? "done" : ""}>
          <h3>1. Create the first namespace</h3>
          <p class="muted">
            A namespace (<code>org.acme</code>) owns workers and is a tenant. Its owner token acts
            only inside it; it is shown once.
          </p>
          {ns.length
            ? (
              <p>
                Done: <code>{ns.map((n) => n.namespace).join(", ")}</code>.
              </p>
            )
            : <NamespaceForm idPrefix="setup-ns" />}
        </li>
        <li data-step="approver" class={admins.length > 1 ? "done" : ""}>
          <h3>2. An admin token for the approver</h3>
          <p class="muted">
            A held request cannot be approved with the token that raised it (403
            APPROVER_IS_REQUESTER): give the person who approves a token of their own.
          </p>
          {admins.length > 1 ? <p>Done: {admins.length} admin tokens.</p> : (
            <form
              class="form-grid"
              onSubmit={async (e) => {
                e.preventDefault();
                await act("Create the approver's token", async () => {
                  const t = await client().createToken({
                    role: "admin",
                    label: approverLabel.value.trim() || "approver",
                  });
                  revealed.value = {
                    title: `Admin token "${approverLabel.value.trim() || "approver"}"`,
                    token: t.token,
                    token_id: t.token_id,
                  };
                });
              }}
            >
              <TextInput
                id="setup-approver-label"
                label="Label"
                value={approverLabel.value}
                onInput={(v) => (approverLabel.value = v)}
              />
              <div class="field">
                <button type="submit" id="setup-approver-create">Create admin token</button>
              </div>
            </form>
          )}
        </li>
        <li data-step="enrol">
          <h3>3. Enrol a worker</h3>
          <p>
            Paste or load its registry record in the{" "}
            <button
              type="button"
              class="link"
              id="setup-to-workers"
              onClick={() => (tab.value = "workers")}
            >
              Workers
            </button>{" "}
            tab, or from a shell. With the namespace's token an HTTP worker's endpoint must be an
            origin listed in <code>hall.json</code>'s <code>worker_origins</code>{" "}
            (403 ENDPOINT_NOT_ALLOWED otherwise); an admin token may register any endpoint.
          </p>
          <pre
            class="json"
            tabIndex={0}
            aria-label="Enrolment commands"
          >{`export WCP_HALL_URL=${hallUrl.value}
export WCP_TOKEN=<the namespace or an admin token>
deno task wcp scaffold hello --worker-id ${ns[0]?.namespace ?? "org.acme"}.hello.1 \\
  --capability cap.doc.summarize --port 8790
deno task wcp enroll hello/registry_record.json`}</pre>
        </li>
      </ol>
      <button
        type="button"
        id="setup-done"
        onClick={() => {
          setupOpen.value = false;
          tab.value = "overview";
        }}
      >
        Close the setup
      </button>
    </section>
  );
}
