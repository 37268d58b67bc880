// PostGraphile V5 as bench/run starts it: the Amber preset (PostGraphile's
// recommended defaults) over the `public` schema of the benchmark database,
// with what keeps the comparison fair:
//   - simple collections as well as connections (`…List` fields: no cursors
//     or page info to compute, the cheapest way it can serve a list);
//   - ordering by any column (PgIndexBehaviorsPlugin off, as V4's default
//     ignoreIndexes), so tasks, assignments and targets come in the same
//     order as xietong's (seq, position);
//   - a pool of 16 connections, as xietong's on PostgreSQL;
//   - no watch mode, no GraphiQL, no EXPLAIN, no query log (grafserv logs no
//     queries), production mode (GRAPHILE_ENV=production).
// Environment: BENCH_PGL_URL (database URL), BENCH_PGL_PORT (port).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.BENCH_PGL_URL,
      schemas: ["public"],
      poolConfig: { max: 16 },
    }),
  ],
  schema: {
    // Connections stay; lists are added beside them.
    defaultBehavior: "+connection +resource:connection +list +resource:list",
  },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PGL_PORT || 18082),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    maxRequestLength: 1048576,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
