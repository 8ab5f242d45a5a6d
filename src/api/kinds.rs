//! The closed sets of names the API stores and answers with (a return's kind and status, an
//! order's status, a ticket's status): enums with their wire names, so code matches on variants
//! and a misspelt name cannot compile. Each has `NAMES` (for validation and the OpenAPI
//! document), `name()`, `from_name()` and serde under the same names.

use super::platform::StorageError;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the documented order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire names, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The wire name.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with this wire name.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The value stored in a row's `column`; a name the code does not know is a row
            /// shape error (a hand-edited database), never a panic.
            pub fn from_column(name: &str, column: &str) -> Result<$name, StorageError> {
                $name::from_name(name).ok_or_else(|| {
                    StorageError::RowShape(format!(
                        "`{column}` holds `{name}`, not one of {}",
                        $name::NAMES.join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// What a shopper asks for an item of a delivered order.
    ReturnKind {
        Return = "return",
        Resize = "resize",
        Exchange = "exchange",
    }
}

named_enum! {
    /// Where an order is.
    OrderStatus {
        Processing = "processing",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
}

named_enum! {
    /// Where a return request is: `requested` → `approved` | `denied`; `approved` → `received`;
    /// `received` → `refunded` | `resized` | `exchanged` (by its kind).
    ReturnStatus {
        Requested = "requested",
        Approved = "approved",
        Denied = "denied",
        Received = "received",
        Refunded = "refunded",
        Resized = "resized",
        Exchanged = "exchanged",
    }
}

named_enum! {
    /// What staff do to a return request (`PATCH /v1/admin/returns/{id}`).
    ReturnAction {
        Approve = "approve",
        Deny = "deny",
        Receive = "receive",
        Complete = "complete",
    }
}

named_enum! {
    /// Where a stylist ticket is.
    TicketStatus {
        Open = "open",
        Pending = "pending",
        Resolved = "resolved",
        Closed = "closed",
    }
}

impl ReturnStatus {
    /// Where a request of `kind` goes from this status by `action`, if it may.
    pub fn after(self, action: ReturnAction, kind: ReturnKind) -> Option<ReturnStatus> {
        match (self, action) {
            (ReturnStatus::Requested, ReturnAction::Approve) => Some(ReturnStatus::Approved),
            (ReturnStatus::Requested, ReturnAction::Deny) => Some(ReturnStatus::Denied),
            (ReturnStatus::Approved, ReturnAction::Receive) => Some(ReturnStatus::Received),
            (ReturnStatus::Received, ReturnAction::Complete) => Some(match kind {
                ReturnKind::Return => ReturnStatus::Refunded,
                ReturnKind::Resize => ReturnStatus::Resized,
                ReturnKind::Exchange => ReturnStatus::Exchanged,
            }),
            _ => None,
        }
    }

    /// Whether this is a decision (the shopper is told its reason).
    pub fn is_decision(self) -> bool {
        matches!(self, ReturnStatus::Approved | ReturnStatus::Denied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_name() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + serde::Serialize>(
            all: &[T],
            names: &[&str],
            name: fn(T) -> &'static str,
            from: fn(&str) -> Option<T>,
        ) {
            assert_eq!(all.len(), names.len());
            for (v, n) in all.iter().zip(names) {
                assert_eq!(name(*v), *n);
                assert_eq!(from(n), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(n));
            }
            assert_eq!(from("Nope"), None);
        }
        check(
            ReturnKind::ALL,
            ReturnKind::NAMES,
            ReturnKind::name,
            ReturnKind::from_name,
        );
        check(
            OrderStatus::ALL,
            OrderStatus::NAMES,
            OrderStatus::name,
            OrderStatus::from_name,
        );
        check(
            ReturnStatus::ALL,
            ReturnStatus::NAMES,
            ReturnStatus::name,
            ReturnStatus::from_name,
        );
        check(
            ReturnAction::ALL,
            ReturnAction::NAMES,
            ReturnAction::name,
            ReturnAction::from_name,
        );
        check(
            TicketStatus::ALL,
            TicketStatus::NAMES,
            TicketStatus::name,
            TicketStatus::from_name,
        );
        assert!(OrderStatus::from_column("lost", "status").is_err());
    }

    #[test]
    fn a_return_moves_only_along_its_arrows() {
        use ReturnAction::*;
        let mut allowed = 0;
        for &status in ReturnStatus::ALL {
            for &action in ReturnAction::ALL {
                for &kind in ReturnKind::ALL {
                    if let Some(to) = status.after(action, kind) {
                        allowed += 1;
                        assert_ne!(to, status);
                    }
                }
            }
        }
        // approve, deny, receive for each of three kinds, and complete once per kind.
        assert_eq!(allowed, 3 * 3 + 3);
        assert_eq!(
            ReturnStatus::Received.after(Complete, ReturnKind::Resize),
            Some(ReturnStatus::Resized)
        );
        assert_eq!(
            ReturnStatus::Denied.after(Approve, ReturnKind::Return),
            None
        );
    }

    /// Every enum in the OpenAPI document that holds a name of one of these sets holds exactly
    /// that set: the document and the code cannot drift apart.
    #[test]
    fn the_openapi_document_lists_exactly_these_names() {
        let doc: serde_json::Value =
            serde_json::from_str(super::super::OPENAPI_JSON).expect("openapi.json");
        let sets: [(&str, &[&str]); 5] = [
            ("ReturnKind", ReturnKind::NAMES),
            ("OrderStatus", OrderStatus::NAMES),
            ("ReturnStatus", ReturnStatus::NAMES),
            ("ReturnAction", ReturnAction::NAMES),
            ("TicketStatus", TicketStatus::NAMES),
        ];
        let mut enums = Vec::new();
        fn walk(v: &serde_json::Value, out: &mut Vec<Vec<String>>) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::Array(values)) = map.get("enum") {
                        out.push(
                            values
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect(),
                        );
                    }
                    map.values().for_each(|x| walk(x, out));
                }
                serde_json::Value::Array(list) => list.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(&doc, &mut enums);
        // An enum naming mostly values of a set names only values of that set (a `oneOf` branch
        // may list part of it), and each set is listed whole somewhere.
        let mut whole = [false; 5];
        for found in &enums {
            for (i, (set, names)) in sets.iter().enumerate() {
                let known = found.iter().filter(|n| names.contains(&n.as_str())).count();
                if known * 2 > found.len() {
                    assert_eq!(
                        known,
                        found.len(),
                        "{found:?}: an enum of {set} in openapi.json"
                    );
                    whole[i] |= names.iter().all(|n| found.iter().any(|f| f == n));
                }
            }
        }
        for (i, (set, _)) in sets.iter().enumerate() {
            assert!(whole[i], "openapi.json never lists all of {set}");
        }
    }
}
