/**
 * A service file's YAML as plain data. The `yaml` package does the reading
 * (anchors, aliases, `<<` merge keys); what it cannot know is CloudFormation's
 * short tags, so `!Ref X`, `!GetAtt Queue.Arn`, `!Sub ...` are turned into their
 * long forms (`{ Ref }`, `{ 'Fn::GetAtt': [Queue, Arn] }`, `{ 'Fn::Sub' }`) so that
 * queue and table names can be followed to the resources that declare them.
 */
import type { Document, Node as YamlNode } from 'yaml';
import { isScalar, parseDocument, visit } from 'yaml';

/** A JSON-like value read from a service file. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlObject = { [key: string]: YamlValue };

export function isObject(value: YamlValue | undefined): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b.0.c` into `root`; undefined where the path leaves the data. */
export function getPath(root: YamlValue, path: string): YamlValue | undefined {
  let at: YamlValue | undefined = root;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (Array.isArray(at) && /^\d+$/.test(part)) at = at[Number(part)];
    else if (isObject(at)) at = at[part];
    else return undefined;
  }
  return at;
}

const CFN_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
};
const cfnKey = (tag: string) => CFN_TAGS[tag] ?? `Fn::${tag.slice(1)}`;

function longFormOf(doc: Document, tag: string, node: YamlNode): YamlNode {
  // `!GetAtt Queue.Arn` is the short form of `Fn::GetAtt: [Queue, Arn]`.
  if (tag === '!GetAtt' && isScalar(node) && typeof node.value === 'string') {
    const dot = node.value.indexOf('.');
    return doc.createNode({ 'Fn::GetAtt': [node.value.slice(0, dot), node.value.slice(dot + 1)] });
  }
  return doc.createNode({ [cfnKey(tag)]: node });
}

/** Rewrites every node with a local tag (`!Tag value`) into CloudFormation's long form, in place. */
function expandCloudFormationTags(doc: Document): void {
  visit(doc, {
    Node(_, node) {
      const tag = node.tag;
      if (typeof tag !== 'string' || !tag.startsWith('!') || tag.startsWith('!!')) return undefined;
      node.tag = undefined;
      const longForm = longFormOf(doc, tag, node);
      // An alias of a tagged node (`*queue` for `&queue !GetAtt ...`) means the long form too.
      longForm.anchor = node.anchor;
      node.anchor = undefined;
      return longForm;
    },
  });
}

/** Parses YAML text into plain data; `error` is the first YAML error's first line when the text is not valid YAML. */
export function parseYaml(text: string): { value: YamlValue } | { error: string } {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) return { error: (doc.errors[0]?.message ?? '').split('\n')[0] ?? '' };
  expandCloudFormationTags(doc);
  // The core schema yields strings, numbers, booleans and null only: the data is JSON-like. No alias limit, as before.
  return { value: (doc.toJS({ maxAliasCount: -1 }) ?? null) as YamlValue };
}
