// A portal's first steps with xietong, typed from the committed OpenAPI
// document: sign in, list the plans of a year, read one with its ETag,
// change its title with If-Match, page through its tasks, and upload a task
// list. `npm run generate && npm run check` compiles it (generate.mjs types
// binary strings as Blob); CI does so against
// every change of openapi/openapi.json (.ci/openapi-lint), so a document
// that a generator cannot type fails there, not in a portal's build.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Plan = components["schemas"]["Plan"];
type Problem = components["schemas"]["Problem"];

export async function firstSteps(baseUrl: string, username: string, password: string): Promise<string[]> {
  const api = createClient<paths>({ baseUrl });

  const signedIn = await api.POST("/api/v1/auth/login", { body: { username, password } });
  if (signedIn.error) throw new Error(describe(signedIn.error));
  const headers = { Authorization: `Bearer ${signedIn.data.access_token}` };

  const plans = await api.GET("/api/v1/plans", { params: { query: { year: 2025, limit: 50 } }, headers });
  if (plans.error) throw new Error(describe(plans.error));
  const first: Plan | undefined = plans.data.items[0];
  if (!first) return [];
  const year: number = first.year;

  const read = await api.GET("/api/v1/plans/{id}", { params: { path: { id: first.id } }, headers });
  if (read.error) throw new Error(describe(read.error));
  const etag = read.response.headers.get("ETag") ?? `"${read.data.version}"`;

  const renamed = await api.PATCH("/api/v1/plans/{id}", {
    params: { path: { id: first.id }, header: { "If-Match": etag } },
    body: { title: `${read.data.title}（${year}年修订）` },
    headers,
  });
  if (renamed.error) throw new Error(describe(renamed.error));

  const titles: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.GET("/api/v1/tasks", {
      params: { query: { plan_id: first.id, limit: 200, ...(cursor ? { cursor } : {}) } },
      headers,
    });
    if (page.error) throw new Error(describe(page.error));
    for (const task of page.data.items) titles.push(`${task.seq}. ${task.content}`);
    cursor = page.data.next_cursor ?? undefined;
  } while (cursor);

  // A file upload is a Blob, as a browser's <input type=file> gives it;
  // the form is sent as multipart/form-data.
  const file = new Blob(["序号,具体任务\n1,示例任务\n"], { type: "text/csv" });
  const imported = await api.POST("/api/v1/imports/tasks", {
    body: { file, year, title: "示例任务清单", pairing_id: first.pairing_id ?? undefined, dry_run: true },
    bodySerializer: multipart,
    headers,
  });
  if (imported.error) throw new Error(describe(imported.error));

  return titles;
}

/**
 * What the document enumerates does not compile with another value: each
 * `@ts-expect-error` fails the build (`tsc`) if the line it marks compiles.
 */
export function unknownValuesDoNotCompile(api: ReturnType<typeof createClient<paths>>): void {
  // The task statuses, and `overdue`.
  void api.GET("/api/v1/tasks", { params: { query: { status: "overdue", sort: "-deadline" } } });
  // @ts-expect-error `late` is not a task status
  void api.GET("/api/v1/tasks", { params: { query: { status: "late" } } });
  // @ts-expect-error tasks do not sort by title
  void api.GET("/api/v1/tasks", { params: { query: { sort: "title" } } });
  // @ts-expect-error an export is xlsx or csv
  void api.GET("/api/v1/plans/{id}/export", { params: { path: { id: "" }, query: { format: "pdf" } } });
}

/** A form of text fields and files, as multipart/form-data. */
function multipart(body: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value instanceof Blob) form.append(name, value, "任务清单.csv");
    else if (Array.isArray(value)) for (const item of value) form.append(name, String(item));
    else if (value !== undefined && value !== null) form.append(name, String(value));
  }
  return form;
}

function describe(problem: Problem | { error?: string }): string {
  if ("code" in problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
    return `${problem.code}: ${problem.detail}${fields ? ` (${fields})` : ""}`;
  }
  return problem.error ?? "unknown error";
}
