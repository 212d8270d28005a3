/**
 * The Cedar panel's starting policies (for the Decisions panel's example world), apart from the
 * panel so the shared state can hold the text without loading the panel.
 *
 * @module
 */

/** The policies the panel starts with (for the Decisions panel's example world). */
export const DEFAULT_CEDAR =
  `// Cedar policies for the policy gate (rules with escalation.policy_gate).
// permit = ALLOW, forbid = DENY (forbid wins; no permit: DENY);
// @require_human("<level>") holds the request for a human instead.
@id("base")
permit(principal, action, resource);

@id("no-restricted-prod")
forbid(principal, action, resource == WCP::Environment::"prod")
when { context.data_label == WCP::DataLabel::"RESTRICTED" };

@id("critical-needs-executor")
@require_human("executor")
forbid(principal, action in WCP::Action::"risk:critical", resource == WCP::Environment::"prod");
`;
