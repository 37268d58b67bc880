//! The Relay `Node` interface and `node(id:)`: every object with a global
//! id is found again by it, through the domain's own read (so a node the
//! caller may not see does not exist).

use async_graphql::{Context, ID, Interface, Result};
use uuid::Uuid;

use super::account::{ClientNode, UserNode};
use super::plan::{PlanNode, TaskNode};
use super::reference::{EventNode, MetricNode, PairingNode, RegionNode, UnitGroupNode, UnitNode, UnitPairingNode};
use super::report::ReportNode;
use super::supervision::LeaderNode;
use crate::domain::{Text, client, event, leader, metric, pairing, plan, region, report, task, unit, user};
use crate::graphql::context::{caller, db};
use crate::graphql::error::{DomainResultExt, invalid};
use crate::graphql::ids::decode;

/// An object with a global id (Relay `Node`): fetch it again with `node(id:)`.
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "The global id: opaque, stable, unique across types."),
    field(name = "uuid", ty = "Uuid", desc = "The REST id.")
)]
pub enum Node {
    Region(RegionNode),
    Unit(UnitNode),
    UnitGroup(UnitGroupNode),
    Pairing(PairingNode),
    UnitPairing(UnitPairingNode),
    Metric(MetricNode),
    Event(EventNode),
    Plan(PlanNode),
    Task(TaskNode),
    Report(ReportNode),
    User(UserNode),
    IntegrationClient(ClientNode),
    Leader(LeaderNode),
}

/// The node a global id names, as the caller may see it.
pub async fn fetch(ctx: &Context<'_>, id: &ID) -> Result<Node> {
    let (type_name, uuid): (String, Uuid) = decode(id).ok_or_else(|| invalid("id", "not a global id"))?;
    let (conn, who) = (db(ctx), caller(ctx)?);
    Ok(match type_name.as_str() {
        "Region" => Node::Region(RegionNode(region::get(conn, who, uuid).await.gql()?)),
        "Unit" => Node::Unit(UnitNode(unit::get_unit(conn, who, uuid).await.gql()?)),
        "UnitGroup" => Node::UnitGroup(UnitGroupNode(unit::get_group(conn, who, uuid).await.gql()?)),
        "Pairing" => Node::Pairing(PairingNode(pairing::get(conn, who, uuid).await.gql()?)),
        "UnitPairing" => Node::UnitPairing(UnitPairingNode(pairing::get_unit_pairing(conn, who, uuid).await.gql()?)),
        "Metric" => Node::Metric(MetricNode(metric::get(conn, who, uuid).await.gql()?)),
        "Event" => Node::Event(EventNode(event::get(conn, who, uuid).await.gql()?)),
        "Plan" => Node::Plan(PlanNode(plan::get(conn, who, uuid).await.gql()?)),
        "Task" => Node::Task(TaskNode(task::get(conn, who, uuid).await.gql()?)),
        "Report" => Node::Report(ReportNode(report::get(conn, who, uuid).await.gql()?)),
        "User" => Node::User(UserNode(user::get(conn, who, uuid).await.gql()?)),
        "IntegrationClient" => Node::IntegrationClient(ClientNode(client::get(conn, who, uuid).await.gql()?)),
        "Leader" => Node::Leader(LeaderNode(leader::get(conn, who, uuid).await.gql()?)),
        _ => {
            return Err(invalid(
                "id",
                Text::new("no type %{type} has global ids").arg("type", type_name),
            ));
        }
    })
}
