/**
 * The finite part of the match space: the four enum fields and their 4*3*3*4 = 144 combinations.
 * A rule's enum conditions compile to a 144-bit set (five 32-bit words) of the combinations it
 * accepts, so "does rule r accept this combination" and "is A a superset of B" are word operations.
 *
 * @module
 */

import { DATA_LABELS, ENVS, QOS_CLASSES, TENANT_RISKS } from "../model.ts";

/** The five match fields, in the order conditions are stored (re-exported by rules.ts). */
export const MATCH_FIELDS = [
  "capability_id",
  "env",
  "data_label",
  "tenant_risk",
  "qos_class",
] as const;

/** The enum match fields, in combination-index order. */
export const ENUM_FIELDS = ["env", "data_label", "tenant_risk", "qos_class"] as const;
/** An enum match field. */
export type EnumField = typeof ENUM_FIELDS[number];

/** Each enum field's domain. */
export const ENUM_DOMAINS: Readonly<Record<EnumField, readonly string[]>> = {
  env: ENVS,
  data_label: DATA_LABELS,
  tenant_risk: TENANT_RISKS,
  qos_class: QOS_CLASSES,
};

/** Number of enum combinations. */
export const COMBOS = ENVS.length * DATA_LABELS.length * TENANT_RISKS.length * QOS_CLASSES.length;
/** 32-bit words in a combination set. */
export const MASK_WORDS = Math.ceil(COMBOS / 32);

const ENV_IDX = indexOf(ENVS);
const LABEL_IDX = indexOf(DATA_LABELS);
const RISK_IDX = indexOf(TENANT_RISKS);
const QOS_IDX = indexOf(QOS_CLASSES);
const W_ENV = DATA_LABELS.length * TENANT_RISKS.length * QOS_CLASSES.length;
const W_LABEL = TENANT_RISKS.length * QOS_CLASSES.length;
const W_RISK = QOS_CLASSES.length;

function indexOf(values: readonly string[]): Map<string, number> {
  return new Map(values.map((v, i) => [v, i]));
}

/** Position of a value in its field's domain, or -1. */
export function domainIndex(field: EnumField, value: string): number {
  return ENUM_DOMAINS[field].indexOf(value);
}

/** The combination index of four enum values, or -1 when one is not a valid value. */
export function comboOf(env: string, label: string, risk: string, qos: string): number {
  const e = ENV_IDX.get(env);
  const l = LABEL_IDX.get(label);
  const r = RISK_IDX.get(risk);
  const q = QOS_IDX.get(qos);
  if (e === undefined || l === undefined || r === undefined || q === undefined) return -1;
  return e * W_ENV + l * W_LABEL + r * W_RISK + q;
}

/** The four enum values of a combination index. */
export function valuesOfCombo(combo: number): Record<EnumField, string> {
  const e = Math.floor(combo / W_ENV);
  const l = Math.floor((combo % W_ENV) / W_LABEL);
  const r = Math.floor((combo % W_LABEL) / W_RISK);
  const q = combo % W_RISK;
  return {
    env: ENVS[e],
    data_label: DATA_LABELS[l],
    tenant_risk: TENANT_RISKS[r],
    qos_class: QOS_CLASSES[q],
  };
}

/**
 * The combination set accepted by per-field value bitmasks (bit i = the field's i-th value).
 * Written into `out` at word offset `at`.
 */
export function comboMask(
  fieldBits: Readonly<Record<EnumField, number>>,
  out: Uint32Array,
  at: number,
): void {
  for (let w = 0; w < MASK_WORDS; w++) out[at + w] = 0;
  for (let e = 0; e < ENVS.length; e++) {
    if (!(fieldBits.env & (1 << e))) continue;
    for (let l = 0; l < DATA_LABELS.length; l++) {
      if (!(fieldBits.data_label & (1 << l))) continue;
      for (let r = 0; r < TENANT_RISKS.length; r++) {
        if (!(fieldBits.tenant_risk & (1 << r))) continue;
        for (let q = 0; q < QOS_CLASSES.length; q++) {
          if (!(fieldBits.qos_class & (1 << q))) continue;
          const c = e * W_ENV + l * W_LABEL + r * W_RISK + q;
          out[at + (c >>> 5)] |= 1 << (c & 31);
        }
      }
    }
  }
}

/** All values of a field as a bitmask. */
export function fullBits(field: EnumField): number {
  return (1 << ENUM_DOMAINS[field].length) - 1;
}
