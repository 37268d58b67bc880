//! The black-box suite, one binary: each module an area of the service,
//! driven over HTTP (and the CLI) against the real router and binary, on
//! SQLite, and on PostgreSQL with `XIETONG_TEST_POSTGRES_URL`. One binary
//! links the crate once instead of once per file.

mod common;

mod attachments;
mod auth;
mod bulk_export;
mod bulletin;
mod calendar;
mod changes;
mod cli;
mod client_grants;
mod concurrency;
mod document_order;
mod domain_crud;
mod export_roundtrip;
mod external_ids;
mod figures;
mod graphql_api;
mod graphql_batching;
mod graphql_figures;
mod graphql_imports;
mod graphql_lists;
mod graphql_nulls;
mod graphql_permissions;
mod graphql_plans;
mod graphql_reference;
mod graphql_relations;
mod graphql_subscriptions;
mod graphql_subscriptions_pg;
mod health;
mod hostile_input;
mod import_fixtures;
mod kept_figures;
mod languages;
mod limits;
mod logs;
mod model;
mod openapi;
mod permissions;
mod projects;
mod prometheus;
mod replica;
mod resilience;
mod rest_imports;
mod rest_more;
mod rest_reference;
mod rest_tasks;
mod secrets_in_logs;
mod serve_binary;
mod shapes;
mod statistics;
mod supervision;
mod supervision_talk;
mod visibility;
mod webhooks;
