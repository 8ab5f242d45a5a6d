//! Support and admin authentication: `Authorization: Bearer <token>` compared in constant time
//! against the three role secrets, then a role check per route.

use super::error::ApiError;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Support,
    Merchandiser,
    Admin,
}

impl Role {
    /// The role's name in the API (`support`, `merchandiser`, `admin`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Support => "support",
            Role::Merchandiser => "merchandiser",
            Role::Admin => "admin",
        }
    }
}

/// How a staff member proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A verified Cloudflare Access JWT (a named person).
    Access,
    /// A shared bearer role token (scripts).
    Token,
}

impl Via {
    /// `access` or `token`, as `GET /v1/admin/me` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Via::Access => "access",
            Via::Token => "token",
        }
    }
}

/// Who is calling an admin route: their role, the name every change they make is recorded
/// under (`token:support` for a role token, an email for Access) and how they proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub role: Role,
    pub actor: String,
    pub via: Via,
}

/// The role secrets (`SUPPORT_TOKEN`, `MERCHANDISER_TOKEN`, `ADMIN_TOKEN`); an unset or empty
/// secret disables its role.
#[derive(Debug, Clone, Default)]
pub struct AdminTokens {
    pub support: Option<String>,
    pub merchandiser: Option<String>,
    pub admin: Option<String>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AdminTokens {
    /// The role of the bearer token in an `Authorization` header: 401 when it is missing,
    /// malformed or matches no secret. Every secret is compared (as SHA-256 digests, so lengths
    /// do not leak), without early exit.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Role, ApiError> {
        let header = authorization.ok_or(ApiError::Unauthorized)?.trim();
        let (scheme, token) = header.split_once(' ').ok_or(ApiError::Unauthorized)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer")
            || token.is_empty()
            || token.len() > 512
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ApiError::Unauthorized);
        }
        let presented = digest(token);
        let mut found = None;
        for (secret, role) in [
            (&self.support, Role::Support),
            (&self.merchandiser, Role::Merchandiser),
            (&self.admin, Role::Admin),
        ] {
            let expected = digest(secret.as_deref().unwrap_or(""));
            let configured = secret.as_deref().is_some_and(|s| !s.is_empty());
            if bool::from(presented.ct_eq(&expected)) && configured {
                found = Some(role);
            }
        }
        found.ok_or(ApiError::Unauthorized)
    }
}

impl AdminTokens {
    /// The staff member behind an `Authorization: Bearer` header: the token's role, recorded as
    /// actor `token:<role>`. 401 as [`AdminTokens::authenticate`].
    pub fn identify(&self, authorization: Option<&str>) -> Result<Staff, ApiError> {
        let role = self.authenticate(authorization)?;
        Ok(Staff {
            role,
            actor: format!("token:{}", role.name()),
            via: Via::Token,
        })
    }
}

/// 403 unless `role` is one of `allowed`.
pub fn require(role: Role, allowed: &[Role]) -> Result<(), ApiError> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> AdminTokens {
        AdminTokens {
            support: Some("s-token".into()),
            merchandiser: Some("m-token".into()),
            admin: None,
        }
    }

    #[test]
    fn bearer_tokens_map_to_roles() {
        assert_eq!(
            tokens().authenticate(Some("Bearer s-token")),
            Ok(Role::Support)
        );
        assert_eq!(
            tokens().authenticate(Some("bearer m-token")),
            Ok(Role::Merchandiser)
        );
    }

    #[test]
    fn missing_malformed_wrong_and_unset_tokens_are_401() {
        for header in [
            None,
            Some(""),
            Some("s-token"),
            Some("Basic s-token"),
            Some("Bearer "),
            Some("Bearer s-tokenx"),
            Some("Bearer s-toke"),
        ] {
            assert_eq!(
                tokens().authenticate(header),
                Err(ApiError::Unauthorized),
                "{header:?}"
            );
        }
        // The admin secret is unset: an empty bearer must not match it.
        assert_eq!(
            tokens().authenticate(Some("Bearer  ")),
            Err(ApiError::Unauthorized)
        );
    }

    #[test]
    fn role_check_is_403() {
        assert_eq!(
            require(Role::Support, &[Role::Merchandiser, Role::Admin]),
            Err(ApiError::Forbidden)
        );
        assert_eq!(
            require(Role::Admin, &[Role::Merchandiser, Role::Admin]),
            Ok(())
        );
    }
}
