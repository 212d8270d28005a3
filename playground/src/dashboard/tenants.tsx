/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Tenants tab: namespaces (create with its owner token, change tier), tokens (create: shown
 * once; revoke) and tiers (create, change). And the one-time display of a new token.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { Refused } from "./refused.tsx";
import { act, client, isAdmin, namespaces, revealed, tiers, tokens } from "./state.ts";
import { Badge, Select, TextInput } from "../ui.tsx";

const nsName = signal("org.");
const nsTier = signal("free");
const nsOwner = signal("");
const tokRole = signal<"admin" | "namespace">("namespace");
const tokNamespace = signal("");
const tokLabel = signal("");
const tierName = signal("");
const tierMax = signal("5");
const tierRpm = signal("60");
const tierEdits = signal<Record<string, { max: string; rpm: string }>>({});
const nsTierEdits = signal<Record<string, string>>({});
const confirmToken = signal<string | null>(null);
const copied = signal(false);

/** A new token, shown once: copy it now. */
export function Revealed(): JSX.Element | null {
  const r = revealed.value;
  if (!r) return null;
  return (
    <section class="card reveal" aria-labelledby="h-reveal" id="revealed-token">
      <h2 id="h-reveal">{r.title}</h2>
      <p class="warning">
        <strong>Shown once.</strong>{" "}
        The hall keeps only its hash: copy the token now and store it where its owner will find it.
        It cannot be shown again (revoke it and create another if it is lost).
      </p>
      <label for="revealed-value">Token ({r.token_id})</label>
      <input
        id="revealed-value"
        class="hash"
        readOnly
        value={r.token}
        onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
      />
      <div class="toolbar">
        <button
          type="button"
          id="copy-token"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(r.token);
              copied.value = true;
            } catch {
              copied.value = false;
            }
          }}
        >
          {copied.value ? "Copied" : "Copy"}
        </button>
        <button
          type="button"
          class="primary"
          id="dismiss-token"
          onClick={() => {
            revealed.value = null;
            copied.value = false;
          }}
        >
          I have stored it
        </button>
      </div>
    </section>
  );
}

/** Create a namespace (and show its owner token once). */
export async function createNamespace(
  namespace: string,
  tier: string,
  owner: string,
): Promise<boolean> {
  return await act(`Create namespace ${namespace}`, async () => {
    const g = await client().createNamespace({ namespace, tier, owner });
    revealed.value = {
      title: `Owner token of ${g.namespace}`,
      token: g.token,
      token_id: g.token_id,
    };
  });
}

/** The namespace creation form (also used by the first-run setup). */
export function NamespaceForm(props: { idPrefix: string }): JSX.Element {
  const p = props.idPrefix;
  const tierNames = tiers.value.map((t) => t.tier);
  return (
    <form
      class="form-grid"
      onSubmit={async (e) => {
        e.preventDefault();
        const ok = await createNamespace(nsName.value.trim(), nsTier.value, nsOwner.value.trim());
        if (ok) {
          nsName.value = "org.";
          nsOwner.value = "";
        }
      }}
    >
      <TextInput
        id={`${p}-namespace`}
        label="Namespace (org.<name> or x.<name>)"
        value={nsName.value}
        onInput={(v) => (nsName.value = v)}
      />
      <Select
        id={`${p}-tier`}
        label="Tier"
        value={nsTier.value}
        options={tierNames.length ? tierNames : ["free"]}
        onChange={(v) => (nsTier.value = v)}
      />
      <TextInput
        id={`${p}-owner`}
        label="Owner (contact)"
        value={nsOwner.value}
        onInput={(v) => (nsOwner.value = v)}
      />
      <div class="field">
        <button type="submit" class="primary" id={`${p}-create`}>Create namespace</button>
      </div>
    </form>
  );
}

function Namespaces(): JSX.Element {
  const tierNames = tiers.value.map((t) => t.tier);
  return (
    <section class="card" aria-labelledby="h-namespaces">
      <h2 id="h-namespaces">Namespaces ({namespaces.value.length})</h2>
      <Refused part="namespaces" />
      <div class="table-scroll" tabIndex={0} aria-label="Namespaces">
        <table id="namespaces">
          <thead>
            <tr>
              <th scope="col">namespace</th>
              <th scope="col">tier</th>
              <th scope="col">owner</th>
              <th scope="col">created</th>
            </tr>
          </thead>
          <tbody>
            {namespaces.value.map((n) => {
              const edit = nsTierEdits.value[n.namespace] ?? n.tier;
              return (
                <tr key={n.namespace} data-namespace={n.namespace}>
                  <td>
                    <code>{n.namespace}</code>
                  </td>
                  <td>
                    {isAdmin.value
                      ? (
                        <div class="inline-edit">
                          <Select
                            id={`ns-tier-${n.namespace}`}
                            label={`Tier of ${n.namespace}`}
                            value={edit}
                            options={tierNames}
                            onChange={(v) =>
                              nsTierEdits.value = { ...nsTierEdits.value, [n.namespace]: v }}
                          />
                          {edit !== n.tier && (
                            <button
                              type="button"
                              data-action="set-tier"
                              onClick={() =>
                                act(
                                  `Move ${n.namespace} to ${edit}`,
                                  () => client().setNamespaceTier(n.namespace, edit),
                                )}
                            >
                              Save
                            </button>
                          )}
                        </div>
                      )
                      : n.tier}
                  </td>
                  <td>{n.owner}</td>
                  <td class="muted">{n.created_at.slice(0, 10)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {isAdmin.value && (
        <>
          <h3>New namespace</h3>
          <NamespaceForm idPrefix="new-ns" />
        </>
      )}
    </section>
  );
}

function Tokens(): JSX.Element {
  const list = tokens.value ?? [];
  return (
    <section class="card" aria-labelledby="h-tokens">
      <h2 id="h-tokens">Tokens ({list.filter((t) => !t.revoked_at).length} active)</h2>
      <Refused part="tokens" />
      <div class="table-scroll" tabIndex={0} aria-label="Tokens">
        <table id="tokens">
          <thead>
            <tr>
              <th scope="col">id</th>
              <th scope="col">role</th>
              <th scope="col">label</th>
              <th scope="col">state</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.token_id} data-token={t.token_id}>
                <td class="hash">{t.token_id}</td>
                <td>
                  {t.role}
                  {t.namespace && <code>{t.namespace}</code>}
                </td>
                <td>{t.label}</td>
                <td>
                  {t.revoked_at
                    ? <Badge kind="deny">revoked</Badge>
                    : confirmToken.value === t.token_id
                    ? (
                      <span class="toolbar">
                        <button
                          type="button"
                          data-action="confirm-revoke-token"
                          onClick={async () => {
                            confirmToken.value = null;
                            await act(
                              `Revoke token ${t.token_id}`,
                              () => client().revokeToken(t.token_id),
                            );
                          }}
                        >
                          Yes, revoke
                        </button>
                        <button type="button" onClick={() => (confirmToken.value = null)}>
                          Keep
                        </button>
                      </span>
                    )
                    : (
                      <button
                        type="button"
                        data-action="revoke-token"
                        aria-label={`Revoke token ${t.token_id} (${t.label})`}
                        onClick={() => (confirmToken.value = t.token_id)}
                      >
                        Revoke…
                      </button>
                    )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {isAdmin.value && (
        <>
          <h3>New token</h3>
          <form
            class="form-grid"
            onSubmit={async (e) => {
              e.preventDefault();
              const role = tokRole.value;
              const ok = await act(`Create a ${role} token`, async () => {
                const t = await client().createToken({
                  role,
                  label: tokLabel.value.trim(),
                  ...(role === "namespace"
                    ? { namespace: tokNamespace.value || namespaces.value[0]?.namespace }
                    : {}),
                });
                revealed.value = {
                  title: `New ${role} token "${tokLabel.value.trim()}"`,
                  token: t.token,
                  token_id: t.token_id,
                };
              });
              if (ok) tokLabel.value = "";
            }}
          >
            <Select
              id="new-token-role"
              label="Role"
              value={tokRole.value}
              options={["namespace", "admin"]}
              onChange={(v) => (tokRole.value = v as "admin" | "namespace")}
            />
            {tokRole.value === "namespace" && (
              <Select
                id="new-token-namespace"
                label="Namespace"
                value={tokNamespace.value || namespaces.value[0]?.namespace || ""}
                options={namespaces.value.map((n) => n.namespace)}
                onChange={(v) => (tokNamespace.value = v)}
              />
            )}
            <TextInput
              id="new-token-label"
              label="Label"
              value={tokLabel.value}
              onInput={(v) => (tokLabel.value = v)}
            />
            <div class="field">
              <button type="submit" class="primary" id="new-token-create">Create token</button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}

function Tiers(): JSX.Element {
  return (
    <section class="card" aria-labelledby="h-tiers">
      <h2 id="h-tiers">Tiers ({tiers.value.length})</h2>
      <Refused part="tiers" />
      <div class="table-scroll" tabIndex={0} aria-label="Tiers">
        <table id="tiers">
          <thead>
            <tr>
              <th scope="col">tier</th>
              <th scope="col">max workers</th>
              <th scope="col">requests / min</th>
              {isAdmin.value && <th scope="col">change</th>}
            </tr>
          </thead>
          <tbody>
            {tiers.value.map((t) => {
              const e = tierEdits.value[t.tier] ??
                { max: String(t.max_workers), rpm: String(t.requests_per_minute) };
              const set = (next: { max: string; rpm: string }) =>
                tierEdits.value = { ...tierEdits.value, [t.tier]: next };
              return (
                <tr key={t.tier} data-tier={t.tier}>
                  <td>
                    <code>{t.tier}</code>
                  </td>
                  <td>
                    {isAdmin.value
                      ? (
                        <input
                          type="number"
                          min="0"
                          aria-label={`Max workers of ${t.tier}`}
                          id={`tier-max-${t.tier}`}
                          value={e.max}
                          onInput={(ev) =>
                            set({ ...e, max: (ev.currentTarget as HTMLInputElement).value })}
                        />
                      )
                      : t.max_workers}
                  </td>
                  <td>
                    {isAdmin.value
                      ? (
                        <input
                          type="number"
                          min="1"
                          aria-label={`Requests per minute of ${t.tier}`}
                          id={`tier-rpm-${t.tier}`}
                          value={e.rpm}
                          onInput={(ev) =>
                            set({ ...e, rpm: (ev.currentTarget as HTMLInputElement).value })}
                        />
                      )
                      : t.requests_per_minute}
                  </td>
                  {isAdmin.value && (
                    <td>
                      <button
                        type="button"
                        data-action="save-tier"
                        aria-label={`Save tier ${t.tier}`}
                        onClick={async () => {
                          const ok = await act(`Save tier ${t.tier}`, () =>
                            client().setTier(t.tier, {
                              max_workers: Number(e.max),
                              requests_per_minute: Number(e.rpm),
                            }));
                          if (ok) {
                            const { [t.tier]: _done, ...rest } = tierEdits.value;
                            tierEdits.value = rest;
                          }
                        }}
                      >
                        Save
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {isAdmin.value && (
        <>
          <h3>New tier</h3>
          <form
            class="form-grid"
            onSubmit={async (e) => {
              e.preventDefault();
              const ok = await act(`Create tier ${tierName.value}`, () =>
                client().setTier(tierName.value.trim(), {
                  max_workers: Number(tierMax.value),
                  requests_per_minute: Number(tierRpm.value),
                }));
              if (ok) tierName.value = "";
            }}
          >
            <TextInput
              id="new-tier-name"
              label="Name"
              value={tierName.value}
              onInput={(v) => (tierName.value = v)}
            />
            <TextInput
              id="new-tier-max"
              label="Max workers"
              type="number"
              value={tierMax.value}
              onInput={(v) => (tierMax.value = v)}
            />
            <TextInput
              id="new-tier-rpm"
              label="Requests / min"
              type="number"
              value={tierRpm.value}
              onInput={(v) => (tierRpm.value = v)}
            />
            <div class="field">
              <button type="submit" class="primary" id="new-tier-create">Create tier</button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}

/** The Tenants tab. */
export function TenantsTab(): JSX.Element {
  return (
    <div class="col">
      <Namespaces />
      <Tokens />
      <Tiers />
    </div>
  );
}
