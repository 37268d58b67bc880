//! Column and constraint builders shared by the migrations, so that every
//! table spells ids, enums, timestamps and versions the same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The primary key: a UUID chosen by the service.
pub fn id() -> ColumnDef {
    ColumnDef::new("id").uuid().not_null().primary_key().take()
}

/// A UUID column that must hold a value (a foreign key, usually).
pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().take()
}

/// A UUID column that may be empty.
pub fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().null().take()
}

/// A short string that holds one of `values`, checked by the database too.
pub fn enumeration(name: &'static str, values: &[&'static str]) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(32)
        .not_null()
        .check(Expr::col(name).is_in(values.iter().copied()))
        .take()
}

/// Like [`enumeration`], but the column may be empty.
pub fn enumeration_null(name: &'static str, values: &[&'static str]) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(32)
        .null()
        .check(
            Expr::col(name)
                .is_null()
                .or(Expr::col(name).is_in(values.iter().copied())),
        )
        .take()
}

/// Text that lists are sorted and paged by. SQLite compares bytes (code
/// points, for UTF-8); PostgreSQL must be told to do the same with `COLLATE
/// "C"`, or the two backends would order Chinese names differently.
pub fn sortable_text(backend: DatabaseBackend, name: &'static str, len: u32) -> ColumnDef {
    let mut col = ColumnDef::new(name).string_len(len).not_null().take();
    if backend == DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// Like [`sortable_text`], without a length limit.
pub fn sortable_long_text(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut col = ColumnDef::new(name).text().not_null().take();
    if backend == DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// Like [`sortable_text`], but the column may be empty.
pub fn sortable_text_null(backend: DatabaseBackend, name: &'static str, len: u32) -> ColumnDef {
    let mut col = ColumnDef::new(name).string_len(len).null().take();
    if backend == DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// An exact amount stored as a scaled integer: the value times 10⁴. SQLite
/// has no exact decimal type and its `SUM` over `REAL` drifts; integers sum
/// exactly on both backends.
pub fn amount(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

/// Like [`amount`], but the column may be empty.
pub fn amount_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

/// A UTC timestamp.
pub fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
}

/// A UTC timestamp that may be empty.
pub fn timestamp_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().take()
}

/// Adds `created_at`, `updated_at` and the optimistic-concurrency `version`
/// that every mutable row carries.
pub fn with_lifecycle(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
        .col(ColumnDef::new("version").integer().not_null().default(1))
}

/// A foreign key from `table.column` to `target.id`.
pub fn foreign_key(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// An index over `columns` of `table`, named after them.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create()
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table)
        .take();
    for column in columns {
        stmt.col(*column);
    }
    stmt
}

/// A unique index over `columns` of `table`, named `uq_<table>_<columns>`
/// so that the domain core can tell which rule a violation broke.
pub fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create()
        .name(format!("uq_{table}_{}", columns.join("_")))
        .table(table)
        .unique()
        .take();
    for column in columns {
        stmt.col(*column);
    }
    stmt
}

pub const UNIT_KINDS: &[&str] = &[
    "department",
    "street",
    "town",
    "township",
    "management_committee",
    "state_company",
    "industrial_park",
    "other",
];
