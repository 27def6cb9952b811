// The Studio edits, creates and publishes through the Actions API; the local lake turns
// each action into ordinary mutations against the state the store holds under its write
// lock, so an action sees every earlier action of its own request. Pure.
import { applyMutations, mutationTarget } from '../mutations.ts';
import { deriveIssueSlug, findIssueRuleErrors } from '../rules.ts';
import type { Mutation, SanityDocument } from '../store.ts';
import { LakeError } from './protocol.ts';

type Lookup = (id: string) => SanityDocument | undefined;
export type Action = { actionType: string; [field: string]: unknown };

/** Mutations for a whole request of actions, planned in order over `lookup`. */
export function planActions(actions: Action[], lookup: Lookup, now: string): Mutation[] {
  const overlay = new Map<string, SanityDocument | null>();
  const get: Lookup = (id) => (overlay.has(id) ? (overlay.get(id) ?? undefined) : lookup(id));
  const out: Mutation[] = [];
  actions.forEach((action, index) => {
    const mutations = mutationsForAction(action, get, index + 1);
    // Apply to the touched documents only, so the next action sees this one's result.
    const touched = new Set(mutations.map(mutationTarget).filter((id): id is string => id !== undefined));
    const current = [...touched].map(get).filter((d): d is SanityDocument => d !== undefined);
    const { changes } = applyMutations(current, mutations, { now, transactionId: 'planning' });
    for (const change of changes) overlay.set(change.id, change.after);
    out.push(...mutations);
  });
  return out;
}

function mutationsForAction(action: Action, get: Lookup, n: number): Mutation[] {
  const where = `action ${n} (${action.actionType})`;
  const id = (field: string): string => {
    const value = action[field];
    if (typeof value !== 'string' || value === '') throw new LakeError(400, 'validationError', `${where}: ${field} is missing`);
    return value;
  };
  switch (action.actionType) {
    case 'sanity.action.document.create': {
      const attributes = action.attributes as SanityDocument | undefined;
      if (!attributes || typeof attributes._id !== 'string') throw new LakeError(400, 'validationError', `${where}: attributes._id is missing`);
      if (get(attributes._id)) {
        if (action.ifExists === 'ignore') return [];
        throw new LakeError(409, 'documentAlreadyExistsError', `${where}: a document with id "${attributes._id}" already exists`);
      }
      return [{ create: withoutSystemFields(attributes) }];
    }
    case 'sanity.action.document.edit': {
      const draftId = id('draftId');
      const publishedId = id('publishedId');
      const draft = get(draftId);
      const published = get(publishedId);
      if (!draft && !published) throw new LakeError(404, 'documentNotFoundError', `${where}: neither "${draftId}" nor "${publishedId}" exists`);
      const patch = (action.patch ?? {}) as Record<string, unknown>;
      return [
        ...(draft ? [] : [{ createIfNotExists: { ...withoutSystemFields(published!), _id: draftId } } satisfies Mutation]),
        { patch: { ...patch, id: draftId } },
      ];
    }
    case 'sanity.action.document.publish': {
      const draftId = id('draftId');
      const publishedId = id('publishedId');
      const draft = get(draftId);
      const published = get(publishedId);
      if (!draft) throw new LakeError(409, 'documentNotFoundError', `${where}: there is no draft "${draftId}" to publish`);
      if (typeof action.ifDraftRevisionId === 'string' && action.ifDraftRevisionId !== draft._rev) {
        throw new LakeError(409, 'documentRevisionMismatchError', `${where}: the draft changed since revision ${action.ifDraftRevisionId}`);
      }
      if (typeof action.ifPublishedRevisionId === 'string' && action.ifPublishedRevisionId !== published?._rev) {
        throw new LakeError(409, 'documentRevisionMismatchError', `${where}: the published document changed since revision ${action.ifPublishedRevisionId}`);
      }
      const content = strengthenReferences(withoutSystemFields(draft));
      if (content._type === 'issue') prepareIssueForPublish(content, where);
      return [
        { createOrReplace: { ...content, _id: publishedId, ...(published?._createdAt ? { _createdAt: published._createdAt } : {}) } as SanityDocument },
        { delete: { id: draftId } },
      ];
    }
    case 'sanity.action.document.unpublish': {
      const draftId = id('draftId');
      const publishedId = id('publishedId');
      const published = get(publishedId);
      if (!published) throw new LakeError(409, 'documentNotFoundError', `${where}: "${publishedId}" is not published`);
      return [
        ...(get(draftId) ? [] : [{ create: { ...withoutSystemFields(published), _id: draftId } } satisfies Mutation]),
        { delete: { id: publishedId } },
      ];
    }
    case 'sanity.action.document.discard': {
      const draftId = id('draftId');
      if (!get(draftId)) throw new LakeError(409, 'documentNotFoundError', `${where}: there is no draft "${draftId}" to discard`);
      return [{ delete: { id: draftId } }];
    }
    case 'sanity.action.document.delete': {
      const publishedId = id('publishedId');
      const drafts = Array.isArray(action.includeDrafts) ? action.includeDrafts.filter((d): d is string => typeof d === 'string') : [];
      return [publishedId, ...drafts].map((target) => ({ delete: { id: target } }));
    }
    case 'sanity.action.document.replaceDraft': {
      const publishedId = id('publishedId');
      const attributes = action.attributes as SanityDocument | undefined;
      if (!attributes || typeof attributes._type !== 'string') throw new LakeError(400, 'validationError', `${where}: attributes._type is missing`);
      return [{ createOrReplace: { ...withoutSystemFields(attributes), _id: typeof attributes._id === 'string' ? attributes._id : `drafts.${publishedId}` } as SanityDocument }];
    }
    default:
      throw new LakeError(
        400,
        'actionNotSupportedError',
        `${where} is not supported by the local Content Lake (releases and variants need a Sanity project)`,
      );
  }
}

/**
 * An issue is published only when the rule book (content/rules.ts) finds nothing that
 * would build broken: the editor sees this refusal in the Studio, naming each problem.
 * Without a slug it gets the one "Generate" would make, so its page has an address.
 */
function prepareIssueForPublish(issue: Record<string, unknown>, where: string): void {
  const errors = findIssueRuleErrors(issue);
  if (errors.length > 0) {
    const list = errors.map((e) => e.message).join(' ');
    throw new LakeError(409, 'validationError', `${where}: this issue cannot be published yet. ${list}`);
  }
  const slug = issue.slug as { current?: unknown } | undefined;
  if (typeof slug?.current !== 'string' || slug.current.trim() === '') {
    const derived = deriveIssueSlug(issue.title);
    if (derived) issue.slug = { _type: 'slug', current: derived };
  }
}

/** A copy without the fields the store sets itself; _createdAt is kept by the caller when it matters. */
function withoutSystemFields<T extends Partial<SanityDocument>>(doc: T): T & { _id: string; _type: string } {
  const { _rev: _r, _updatedAt: _u, _createdAt: _c, ...rest } = doc;
  return structuredClone(rest) as T & { _id: string; _type: string };
}

/**
 * References to documents that were drafts when the editor picked them are stored weak
 * with a note to strengthen them on publish, as the hosted lake does.
 */
export function strengthenReferences<T>(value: T): T {
  if (Array.isArray(value)) return value.map(strengthenReferences) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = strengthenReferences(field);
  const note = out._strengthenOnPublish as { weak?: boolean } | undefined;
  if (note !== undefined) {
    delete out._strengthenOnPublish;
    if (note?.weak) out._weak = true;
    else delete out._weak;
  }
  return out as T;
}
