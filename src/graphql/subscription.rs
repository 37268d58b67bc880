//! Subscriptions to status changes of reports and tasks, filtered by what
//! the subscriber may see. Every change is in the audit log, written in
//! the change's own transaction, whichever way it came (GraphQL, REST, the
//! command line) and whichever instance made it: the feed tails the log.
//! It looks when a write of this process commits (`audit::commit`, whichever
//! adapter asked: GraphQL, REST, an import), when a write of another
//! instance commits (its `NOTIFY` on PostgreSQL), and once a poll interval
//! as a safety net.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream;
use async_graphql::{Context, ID, Result, Subscription};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use super::context::{caller, db};
use super::ids::uuid_opt;
use super::types::plan::TaskNode;
use super::types::project::ProjectNode;
use super::types::report::ReportNode;
use super::types::supervision::NotificationNode;
use crate::domain::audit::{self, AuditEntry, AuditFilter};
use crate::domain::page::{MAX_LIMIT, PageRequest};
use crate::domain::{Caller, Clock, notification, report, task};

/// How far back the feed looks again, for changes whose transaction
/// committed after a later one's.
const LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A report was submitted, approved or returned: which, and the
    /// version it produced.
    ReportStatus {
        id: Uuid,
        transition: ReportTransitionKind,
        version: i32,
        at: DateTime<Utc>,
    },
    /// A task's status was set.
    TaskStatus(Uuid),
    /// A notification was put in a user's inbox: which, and whose.
    Notification { id: Uuid, user: Uuid },
    /// A project reached a milestone.
    ProjectStatus(Uuid),
}

impl Change {
    fn of(entry: &AuditEntry) -> Option<Change> {
        let id = entry.entity_id?;
        match (entry.entity.as_str(), entry.action.as_str()) {
            ("report", action @ ("submit" | "approve" | "return" | "recall")) => Some(Change::ReportStatus {
                id,
                transition: match action {
                    "submit" => ReportTransitionKind::Submitted,
                    "approve" => ReportTransitionKind::Approved,
                    "recall" => ReportTransitionKind::Recalled,
                    _ => ReportTransitionKind::Returned,
                },
                version: entry.changes["after"]["version"]
                    .as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .unwrap_or_default(),
                at: entry.occurred_at,
            }),
            ("task", "update") if entry.changes["after"].get("status").is_some() => Some(Change::TaskStatus(id)),
            ("project", "milestone") => Some(Change::ProjectStatus(id)),
            _ => None,
        }
    }
}

/// The step of a report's review workflow an event reports.
#[derive(async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum ReportTransitionKind {
    /// 报送: submitted for review.
    Submitted,
    /// 审核通过: approved, and frozen.
    Approved,
    /// 退回: returned to its unit with a reason.
    Returned,
    /// 撤回: recalled by its unit before review, a draft again.
    Recalled,
}

/// One step of a report's review workflow, as it happened: a submit and an
/// approve seen late are two events, not two copies of the approved report.
pub struct ReportTransitionEvent {
    transition: ReportTransitionKind,
    version: i32,
    at: DateTime<Utc>,
    report: crate::domain::report::Report,
}

/// One step of a report's review workflow, as it happened.
#[async_graphql::Object(name = "ReportTransition")]
impl ReportTransitionEvent {
    /// SUBMITTED, APPROVED, RETURNED or RECALLED.
    async fn transition(&self) -> ReportTransitionKind {
        self.transition
    }
    /// The report's version this step produced (its ETag then).
    async fn version(&self) -> i32 {
        self.version
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.at
    }
    /// The report as it is now (later steps may have followed).
    async fn report(&self) -> ReportNode {
        ReportNode(self.report.clone())
    }
}

struct FeedInner {
    db: DatabaseConnection,
    sender: broadcast::Sender<Change>,
    wake: Notify,
    poll: Option<Duration>,
    /// The app's clock: the audit log is written by it.
    clock: Clock,
    started: OnceLock<()>,
}

/// The changes of this service, for the subscriptions of one instance.
#[derive(Clone)]
pub struct ChangeFeed(Arc<FeedInner>);

impl ChangeFeed {
    /// A feed over `db`, polling every `poll` (never: only when told).
    pub fn new(db: DatabaseConnection, poll: Option<Duration>, clock: Clock) -> ChangeFeed {
        let (sender, _) = broadcast::channel(1024);
        ChangeFeed(Arc::new(FeedInner {
            db,
            sender,
            wake: Notify::new(),
            poll,
            clock,
            started: OnceLock::new(),
        }))
    }

    fn is_postgres(&self) -> bool {
        self.0.db.get_database_backend() == DatabaseBackend::Postgres
    }

    /// The changes from now on; starts the feed on first use.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        let receiver = self.0.sender.subscribe();
        self.0.started.get_or_init(|| {
            tokio::spawn(tail(self.0.clone()));
            if self.is_postgres() {
                tokio::spawn(listen(self.0.clone()));
            }
        });
        receiver
    }
}

/// Wakes the feed whenever another instance (or this one) notifies.
async fn listen(feed: Arc<FeedInner>) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = feed.db.get_postgres_connection_pool().clone();
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(audit::CHANNEL).await {
                    tracing::warn!(error = %err, channel = audit::CHANNEL, "LISTEN failed");
                } else {
                    while listener.recv().await.is_ok() {
                        feed.wake.notify_one();
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for changes of other instances"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads the audit log for status changes and hands each one on, once.
async fn tail(feed: Arc<FeedInner>) {
    let mut since: DateTime<Utc> = feed.clock.now();
    let mut seen: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut committed = audit::committed();
    loop {
        let told = async {
            tokio::select! {
                _ = feed.wake.notified() => {}
                _ = committed.changed() => {}
            }
        };
        match feed.poll {
            Some(every) => {
                tokio::select! {
                    () = told => {}
                    () = tokio::time::sleep(every) => {}
                }
            }
            None => told.await,
        }
        if feed.sender.receiver_count() == 0 {
            since = feed.clock.now();
            seen.clear();
            continue;
        }
        let mut fresh: Vec<AuditEntry> = Vec::new();
        let floor = since - LOOKBACK;
        for (entity, action) in [
            ("report", None),
            ("task", Some("update")),
            ("project", Some("milestone")),
        ] {
            let filter = AuditFilter {
                entity: Some(entity.to_owned()),
                action: action.map(str::to_owned),
                ..AuditFilter::default()
            };
            let page = PageRequest {
                limit: MAX_LIMIT,
                ..PageRequest::default()
            };
            match audit::list(&feed.db, &Caller::system(), filter, &page).await {
                Ok(page) => fresh.extend(
                    page.items
                        .into_iter()
                        .take_while(|e| e.occurred_at >= floor)
                        .filter(|e| !seen.contains_key(&e.id)),
                ),
                Err(err) => tracing::warn!(error = %err, "cannot read the audit log for subscriptions"),
            }
        }
        fresh.sort_by_key(|e| (e.occurred_at, e.id));
        let mut latest = since;
        for entry in fresh {
            seen.insert(entry.id, entry.occurred_at);
            latest = latest.max(entry.occurred_at);
            if let Some(change) = Change::of(&entry) {
                let _ = feed.sender.send(change);
            }
        }
        match notification::written_since(&feed.db, floor).await {
            Ok(written) => {
                for (id, user, at) in written {
                    if seen.insert(id, at).is_none() {
                        latest = latest.max(at);
                        let _ = feed.sender.send(Change::Notification { id, user });
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot read notifications for subscriptions"),
        }
        since = latest;
        let floor = since - LOOKBACK;
        seen.retain(|_, at| *at >= floor);
    }
}

/// What a subscription watches, for whom.
struct Watch {
    who: Caller,
    conn: DatabaseConnection,
    task_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    receiver: broadcast::Receiver<Change>,
}

impl Watch {
    fn of(ctx: &Context<'_>, task_id: Option<ID>, plan_id: Option<ID>) -> Result<Watch> {
        Ok(Watch {
            who: caller(ctx)?.clone(),
            conn: db(ctx).clone(),
            task_id: uuid_opt("taskId", "Task", task_id.as_ref())?,
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            receiver: ctx.data::<ChangeFeed>()?.subscribe(),
        })
    }
}

/// The report as `who` may see it, when it is on the task or plan watched.
async fn watched_report(
    conn: &DatabaseConnection,
    who: &Caller,
    id: Uuid,
    task_id: Option<Uuid>,
    plan_id: Option<Uuid>,
) -> Option<crate::domain::report::Report> {
    let seen = report::get(conn, who, id).await.ok()?;
    if task_id.is_some_and(|t| t != seen.task_id) {
        return None;
    }
    if let Some(plan) = plan_id {
        let of_task = task::get(conn, who, seen.task_id).await.ok()?;
        if of_task.plan_id != plan {
            return None;
        }
    }
    Some(seen)
}

/// The next change that `accept` turns into an item, skipping the rest.
fn changes<T, F, Fut>(receiver: broadcast::Receiver<Change>, accept: F) -> impl Stream<Item = T>
where
    F: Fn(Change) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<T>> + Send,
{
    stream::unfold((receiver, accept), |(mut receiver, accept)| async move {
        loop {
            match receiver.recv().await {
                Ok(change) => {
                    if let Some(item) = accept(change).await {
                        return Some((item, (receiver, accept)));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind; changes were dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// What can be watched.
pub struct SubscriptionRoot;

/// What can be watched, over WebSocket at `/graphql` (graphql-transport-ws;
/// the token in `connection_init`: `{"Authorization": "Bearer …"}`). Each
/// change is shown as the subscriber may see it, or not at all.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// A report (进展报告) was submitted (报送), approved (审核通过) or
    /// returned (退回): the report as it is now.
    async fn report_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reports on this task (重点任务).")] task_id: Option<ID>,
        #[graphql(desc = "Only reports on the tasks of this plan (任务清单).")] plan_id: Option<ID>,
    ) -> Result<impl Stream<Item = ReportNode> + use<>> {
        let Watch {
            who,
            conn,
            task_id,
            plan_id,
            receiver,
        } = Watch::of(ctx, task_id, plan_id)?;
        Ok(changes(receiver, move |change| {
            let (who, conn) = (who.clone(), conn.clone());
            async move {
                let Change::ReportStatus { id, .. } = change else {
                    return None;
                };
                watched_report(&conn, &who, id, task_id, plan_id).await.map(ReportNode)
            }
        }))
    }

    /// Each step of a report's review workflow (报送, 审核通过, 退回) as it happened: which step, the version it produced, and the report as it is now.
    async fn report_transitioned(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reports on this task (重点任务).")] task_id: Option<ID>,
        #[graphql(desc = "Only reports on the tasks of this plan (任务清单).")] plan_id: Option<ID>,
    ) -> Result<impl Stream<Item = ReportTransitionEvent> + use<>> {
        let Watch {
            who,
            conn,
            task_id,
            plan_id,
            receiver,
        } = Watch::of(ctx, task_id, plan_id)?;
        Ok(changes(receiver, move |change| {
            let (who, conn) = (who.clone(), conn.clone());
            async move {
                let Change::ReportStatus {
                    id,
                    transition,
                    version,
                    at,
                } = change
                else {
                    return None;
                };
                let report = watched_report(&conn, &who, id, task_id, plan_id).await?;
                Some(ReportTransitionEvent {
                    transition,
                    version,
                    at,
                    report,
                })
            }
        }))
    }

    /// A project (援建项目) reached a milestone (开工, 完工, 验收, 取消): the
    /// project as it is now, as the subscriber may see it.
    async fn project_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the projects of this pairing.")] pairing_id: Option<ID>,
    ) -> Result<impl Stream<Item = ProjectNode> + use<>> {
        let pairing = uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?;
        let Watch {
            who, conn, receiver, ..
        } = Watch::of(ctx, None, None)?;
        Ok(changes(receiver, move |change| {
            let (who, conn) = (who.clone(), conn.clone());
            async move {
                let Change::ProjectStatus(id) = change else { return None };
                let seen = crate::domain::project::get(&conn, &who, id).await.ok()?;
                if pairing.is_some_and(|p| p != seen.pairing_id) {
                    return None;
                }
                Some(ProjectNode(seen))
            }
        }))
    }

    /// A notification was put in the caller's inbox (站内通知): a report due
    /// soon or late, returned or approved, an urging, a request for more
    /// time or its decision. Only users have an inbox.
    async fn notification_received(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = NotificationNode> + use<>> {
        let Watch {
            who, conn, receiver, ..
        } = Watch::of(ctx, None, None)?;
        let Some(me) = who.principal.user_id() else {
            return Err(crate::graphql::error::from_domain(
                crate::domain::DomainError::forbidden("only users have an inbox: a client follows the change feed"),
            ));
        };
        Ok(changes(receiver, move |change| {
            let (who, conn) = (who.clone(), conn.clone());
            async move {
                let Change::Notification { id, user } = change else {
                    return None;
                };
                if user != me {
                    return None;
                }
                notification::get(&conn, &who, id).await.ok().map(NotificationNode)
            }
        }))
    }

    /// A task's status (状态) was set by its lead unit or a coordinator: the task as it is now.
    async fn task_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this task (重点任务).")] task_id: Option<ID>,
        #[graphql(desc = "Only the tasks of this plan (任务清单).")] plan_id: Option<ID>,
    ) -> Result<impl Stream<Item = TaskNode> + use<>> {
        let Watch {
            who,
            conn,
            task_id,
            plan_id,
            receiver,
        } = Watch::of(ctx, task_id, plan_id)?;
        Ok(changes(receiver, move |change| {
            let (who, conn) = (who.clone(), conn.clone());
            async move {
                let Change::TaskStatus(id) = change else { return None };
                if task_id.is_some_and(|t| t != id) {
                    return None;
                }
                let seen = task::get(&conn, &who, id).await.ok()?;
                if plan_id.is_some_and(|p| p != seen.plan_id) {
                    return None;
                }
                Some(TaskNode(seen))
            }
        }))
    }
}
