// Compares schema.graphql with the last released schema
// (api/released/schema.graphql) using graphql-inspector's diff, prints
// every change, and fails when a breaking one is not named in
// CHANGELOG.md's "Unreleased" section by its coordinate (`Type.field`,
// `Type.field.argument`, `Type`) as graphql-inspector gives it.
//
//   node .ci/graphql-changes.mjs RELEASED CURRENT CHANGELOG
import { readFileSync } from "node:fs";
import { buildSchema } from "graphql";
import { diff, CriticalityLevel } from "@graphql-inspector/core";

const [released, current, changelog] = process.argv.slice(2);
const load = (path) => buildSchema(readFileSync(path, "utf8"));
const changes = await diff(load(released), load(current));

// The text between "## Unreleased" and the next "## " heading.
const log = readFileSync(changelog, "utf8");
const start = log.search(/^## Unreleased\b/m);
if (start < 0) {
  console.error(`${changelog} has no "## Unreleased" section`);
  process.exit(1);
}
const rest = log.slice(start + 1);
const next = rest.search(/^## /m);
const unreleased = next < 0 ? rest : rest.slice(0, next);

let unnamed = 0;
const counts = { BREAKING: 0, DANGEROUS: 0, NON_BREAKING: 0 };
for (const change of changes) {
  const level = change.criticality.level;
  counts[level] = (counts[level] ?? 0) + 1;
  const path = change.path ?? "";
  let mark = " ";
  if (level === CriticalityLevel.Breaking) {
    const named = path !== "" && unreleased.includes(`\`${path}\``);
    mark = named ? "✓" : "✗";
    if (!named) unnamed += 1;
  }
  console.log(`${mark} ${level.padEnd(12)} ${path.padEnd(40)} ${change.message}`);
}
console.log(
  `${changes.length} changes since the released schema: ` +
    `${counts.BREAKING} breaking, ${counts.DANGEROUS} dangerous, ${counts.NON_BREAKING} safe`,
);
if (unnamed > 0) {
  console.error(
    `${unnamed} breaking change(s) marked ✗ are not named in ${changelog} under "## Unreleased" ` +
      "(write each coordinate in backticks, `Type.field`, with what clients must do)",
  );
  process.exit(1);
}
