//! Relay global ids: the base64 of `Type:uuid`, opaque to clients. Inputs
//! take a global id of the expected type or the plain UUID (the REST id).

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use super::error::invalid;
use crate::domain::Text;

/// The global id of the node of type `type_name` with id `id`.
pub fn global_id(type_name: &str, id: Uuid) -> ID {
    ID(STANDARD.encode(format!("{type_name}:{id}")))
}

/// The type name and UUID a global id stands for.
pub fn decode(id: &str) -> Option<(String, Uuid)> {
    let bytes = STANDARD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (type_name, uuid) = text.split_once(':')?;
    Some((type_name.to_owned(), uuid.parse().ok()?))
}

/// The UUID an argument names: a global id of `type_name`, or a UUID.
pub fn uuid_of(field: &str, type_name: &str, id: &ID) -> async_graphql::Result<Uuid> {
    if let Ok(uuid) = id.parse::<Uuid>() {
        return Ok(uuid);
    }
    match decode(id) {
        Some((t, uuid)) if t == type_name => Ok(uuid),
        Some((t, _)) => Err(invalid(
            field,
            Text::new("a %{given} id where a %{wanted} id belongs")
                .arg("given", t)
                .arg("wanted", type_name),
        )),
        None => Err(invalid(
            field,
            Text::new("not a %{type} id: give its `id` or its `uuid`").arg("type", type_name),
        )),
    }
}

/// The same for an optional argument.
pub fn uuid_opt(field: &str, type_name: &str, id: Option<&ID>) -> async_graphql::Result<Option<Uuid>> {
    id.map(|id| uuid_of(field, type_name, id)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip() {
        let id = Uuid::new_v4();
        let global = global_id("Plan", id);
        assert_eq!(decode(&global), Some(("Plan".to_owned(), id)));
        assert_eq!(uuid_of("id", "Plan", &global).ok(), Some(id));
        assert_eq!(uuid_of("id", "Plan", &ID(id.to_string())).ok(), Some(id));
        assert!(uuid_of("id", "Task", &global).is_err());
        assert!(uuid_of("id", "Task", &ID("junk".into())).is_err());
    }
}
