//! Staff authentication, two ways in:
//! - `Authorization: Bearer <token>`, compared in constant time against the three role secrets
//!   (for scripts and the CLI); the actor is `token:<role>`.
//! - Cloudflare Access: the console sits behind an Access application, which sends the signed-in
//!   person's JWT in `Cf-Access-Jwt-Assertion`. It is verified here (RS256 against the team's
//!   JWKS, `iss`, `aud`, `exp`/`nbf` with [`LEEWAY_SECONDS`]); the actor is its `email` claim and
//!   the role comes from `STAFF_ROLES` ([`StaffRoles`]). The RSA check itself runs behind
//!   [`AccessKeys`] (WebCrypto in the Worker), and the JWKS is cached per isolate ([`KeyCache`]).
//!
//! A request with an `Authorization` header is judged by it alone; the Access header is read
//! only without one, and only when Access is configured (`ACCESS_AUD` and `ACCESS_TEAM_DOMAIN`),
//! so a deployment without Access ignores it. Then a role check per route.

use super::error::ApiError;
use super::http::ApiRequest;
use super::platform::{AccessKeys, Database, KeyValue};
use super::Api;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use subtle::ConstantTimeEq;

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Support,
    Merchandiser,
    Admin,
}

impl Role {
    /// `support`, `merchandiser` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Support => "support",
            Role::Merchandiser => "merchandiser",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (as [`Role::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Support, Role::Merchandiser, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// How a staff member proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A verified Cloudflare Access JWT.
    Access,
    /// A bearer role token.
    Token,
}

/// An authenticated staff member: the role decides the routes, the actor is recorded with every
/// change (`token:<role>` for bearer tokens, the lower-case email for Access).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

    /// [`AdminTokens::authenticate`] as a [`Staff`] with actor `token:<role>`.
    pub fn staff(&self, authorization: Option<&str>) -> Result<Staff, ApiError> {
        let role = self.authenticate(authorization)?;
        Ok(Staff {
            role,
            actor: format!("token:{}", role.as_str()),
            via: Via::Token,
        })
    }
}

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 60;

/// How long an isolate trusts its copy of the team's JWKS (Access rotates keys every 6 weeks and
/// publishes the next key in advance).
pub const JWKS_TTL_MS: i64 = 10 * 60 * 1000;

/// A token naming a key the cached JWKS lacks refetches it, at most once per this interval, so
/// a flood of made-up `kid`s cannot turn into a flood of fetches.
pub const JWKS_REFETCH_MIN_MS: i64 = 30 * 1000;

/// Longest `Cf-Access-Jwt-Assertion` looked at.
pub const MAX_JWT_BYTES: usize = 8 * 1024;

/// Who may use the console through Access, and as what: `STAFF_ROLES`, a comma-separated list
/// of `email=role` (one person) and `@domain=role` (everyone of a domain), e.g.
/// `alice@shop.example=admin,bob@shop.example=merchandiser,@shop.example=support`. An exact
/// email wins over its domain. A signed-in person matching no entry gets 403 `forbidden`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffRoles {
    people: Vec<(String, Role)>,
    domains: Vec<(String, Role)>,
}

impl StaffRoles {
    /// Parses `STAFF_ROLES`; entries that are not `email=role` or `@domain=role` with a known
    /// role are skipped and described in the second value (the Worker logs them).
    pub fn parse(text: &str) -> (StaffRoles, Vec<String>) {
        let mut roles = StaffRoles::default();
        let mut problems = Vec::new();
        for entry in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let Some((who, role)) = entry.split_once('=') else {
                problems.push(format!("`{entry}` is not `email=role` or `@domain=role`"));
                continue;
            };
            let who = who.trim().to_ascii_lowercase();
            let Some(role) = Role::from_name(role.trim()) else {
                problems.push(format!(
                    "`{entry}`: the role must be support, merchandiser or admin"
                ));
                continue;
            };
            match who.split_once('@') {
                Some(("", domain)) if !domain.is_empty() && !domain.contains('@') => {
                    roles.domains.push((domain.to_string(), role))
                }
                Some((local, domain))
                    if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
                {
                    roles.people.push((who.clone(), role))
                }
                _ => problems.push(format!("`{entry}`: `{who}` is not an email or `@domain`")),
            }
        }
        (roles, problems)
    }

    /// The role of `email` (lower-case), if it has one.
    pub fn role_of(&self, email: &str) -> Option<Role> {
        if let Some((_, role)) = self.people.iter().find(|(e, _)| e == email) {
            return Some(*role);
        }
        let domain = email.rsplit_once('@')?.1;
        self.domains
            .iter()
            .find(|(d, _)| d == domain)
            .map(|(_, role)| *role)
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && self.domains.is_empty()
    }
}

/// Cloudflare Access settings, present only when both `ACCESS_AUD` and `ACCESS_TEAM_DOMAIN` are.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessConfig {
    /// The Access application's audience tag (`ACCESS_AUD`).
    pub audience: String,
    /// `https://<team>.cloudflareaccess.com`: the tokens' `iss`.
    pub issuer: String,
    /// Where the team's keys are: `<issuer>/cdn-cgi/access/certs`, or `ACCESS_JWKS_URL`.
    pub jwks_url: String,
    pub roles: StaffRoles,
}

impl AccessConfig {
    /// From the vars; `None` (Access off) unless the audience and team domain are both set.
    /// `team_domain` may be written with or without `https://` and a trailing `/`.
    pub fn new(
        audience: &str,
        team_domain: &str,
        jwks_url: Option<&str>,
        roles: StaffRoles,
    ) -> Option<AccessConfig> {
        let audience = audience.trim();
        let host = team_domain
            .trim()
            .trim_start_matches("https://")
            .trim_end_matches('/');
        if audience.is_empty() || host.is_empty() {
            return None;
        }
        let issuer = format!("https://{host}");
        let jwks_url = jwks_url
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map_or_else(|| format!("{issuer}/cdn-cgi/access/certs"), str::to_string);
        Some(AccessConfig {
            audience: audience.to_string(),
            issuer,
            jwks_url,
            roles,
        })
    }
}

/// One RSA public key of the JWKS.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Jwk {
    #[serde(default)]
    pub kid: String,
    #[serde(default)]
    pub kty: String,
    #[serde(default)]
    pub alg: Option<String>,
    /// Modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// Exponent, base64url.
    #[serde(default)]
    pub e: String,
}

/// Each key kept as its raw text, so one that does not read as a [`Jwk`] is skipped alone (read
/// from text: the Worker links no `Value`-to-type deserializer).
#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Box<serde_json::value::RawValue>>,
}

/// The usable keys of a JWKS document: RSA keys with a `kid` (others are skipped).
pub fn parse_jwks(body: &str) -> Result<Vec<Jwk>, String> {
    let set: JwkSet = serde_json::from_str(body).map_err(|e| format!("jwks: {e}"))?;
    Ok(set
        .keys
        .iter()
        .filter_map(|k| serde_json::from_str::<Jwk>(k.get()).ok())
        .filter(|k| {
            k.kty == "RSA"
                && !k.kid.is_empty()
                && !k.n.is_empty()
                && !k.e.is_empty()
                && k.alg.as_deref().is_none_or(|a| a == "RS256")
        })
        .collect())
}

/// The isolate's copy of the JWKS.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: RefCell<Vec<Jwk>>,
    fetched_at: RefCell<Option<i64>>,
}

impl KeyCache {
    fn find(&self, kid: &str) -> Option<Jwk> {
        self.keys.borrow().iter().find(|k| k.kid == kid).cloned()
    }

    /// The key `kid`: from the cache while it is fresh, else after a fetch; a `kid` the fresh
    /// cache lacks refetches at most once per [`JWKS_REFETCH_MIN_MS`]. A failed fetch keeps
    /// using the keys last fetched.
    pub async fn key(
        &self,
        keys: &dyn AccessKeys,
        kid: &str,
        now_ms: i64,
    ) -> Result<Jwk, ApiError> {
        let fetched_at = *self.fetched_at.borrow();
        let fresh = fetched_at.is_some_and(|t| now_ms - t < JWKS_TTL_MS && now_ms >= t);
        if fresh {
            if let Some(key) = self.find(kid) {
                return Ok(key);
            }
            if fetched_at.is_some_and(|t| now_ms - t < JWKS_REFETCH_MIN_MS) {
                return Err(ApiError::AccessRejected("unknown signing key"));
            }
        }
        match keys.fetch_jwks().await.and_then(|body| parse_jwks(&body)) {
            Ok(fetched) => {
                *self.keys.borrow_mut() = fetched;
                *self.fetched_at.borrow_mut() = Some(now_ms);
            }
            Err(_) if self.keys.borrow().is_empty() => {
                return Err(ApiError::AccessRejected("signing keys unavailable"));
            }
            // Keep the stale keys; try again after the refetch interval.
            Err(_) => {
                *self.fetched_at.borrow_mut() = Some(now_ms - JWKS_TTL_MS + JWKS_REFETCH_MIN_MS)
            }
        }
        self.find(kid)
            .ok_or(ApiError::AccessRejected("unknown signing key"))
    }
}

/// Decodes unpadded base64url (the JWT alphabet); `None` on any other character.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // A lone 6-bit tail cannot come from whole bytes.
    (text.len() % 4 != 1).then_some(out)
}

/// A JWT split and decoded, not yet verified.
#[derive(Debug)]
struct UnverifiedJwt<'a> {
    kid: String,
    signing_input: &'a str,
    signature: Vec<u8>,
    claims: Value,
}

fn split_jwt(token: &str) -> Result<UnverifiedJwt<'_>, ApiError> {
    let malformed = ApiError::AccessRejected("malformed token");
    if token.len() > MAX_JWT_BYTES {
        return Err(malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let decode_json = |part: &str| {
        base64url_decode(part).and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let header = decode_json(header).ok_or(malformed.clone())?;
    let claims = decode_json(payload).ok_or(malformed.clone())?;
    let signature = base64url_decode(signature).ok_or(malformed.clone())?;
    if header["alg"] != "RS256" {
        return Err(ApiError::AccessRejected("algorithm must be RS256"));
    }
    let kid = header["kid"]
        .as_str()
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .ok_or(ApiError::AccessRejected("token names no signing key"))?;
    Ok(UnverifiedJwt {
        kid: kid.to_string(),
        signing_input: &token[..token.rfind('.').unwrap_or(0)],
        signature,
        claims: if claims.is_object() {
            claims
        } else {
            return Err(malformed);
        },
    })
}

/// Checks the claims of a token whose signature holds: `iss`, `aud` (a string or a list),
/// `exp` (required) and `nbf` (when present) with [`LEEWAY_SECONDS`], and returns the lower-case
/// `email`.
pub fn check_claims(
    claims: &Value,
    config: &AccessConfig,
    now_ms: i64,
) -> Result<String, ApiError> {
    let now = now_ms.div_euclid(1000);
    if claims["iss"].as_str() != Some(config.issuer.as_str()) {
        return Err(ApiError::AccessRejected("wrong issuer"));
    }
    let audience_ok = match &claims["aud"] {
        Value::String(a) => *a == config.audience,
        Value::Array(list) => list.iter().any(|a| *a == *config.audience),
        _ => false,
    };
    if !audience_ok {
        return Err(ApiError::AccessRejected("wrong audience"));
    }
    let seconds = |name: &str| claims[name].as_f64().map(|v| v as i64);
    match seconds("exp") {
        Some(exp) if now <= exp + LEEWAY_SECONDS => {}
        Some(_) => return Err(ApiError::AccessRejected("expired")),
        None => return Err(ApiError::AccessRejected("token has no expiry")),
    }
    if seconds("nbf").is_some_and(|nbf| now + LEEWAY_SECONDS < nbf) {
        return Err(ApiError::AccessRejected("not valid yet"));
    }
    let email = claims["email"]
        .as_str()
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| {
            e.len() <= 254
                && e.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        })
        .ok_or(ApiError::AccessRejected("token has no email"))?;
    Ok(email)
}

/// Verifies a `Cf-Access-Jwt-Assertion` and maps its email to a [`Staff`]: 401 (`unauthorized`,
/// with the reason) for any token that fails, 403 for a valid one whose email has no role.
pub async fn verify_access(
    token: &str,
    config: &AccessConfig,
    keys: &dyn AccessKeys,
    cache: &KeyCache,
    now_ms: i64,
) -> Result<Staff, ApiError> {
    let jwt = split_jwt(token.trim())?;
    let key = cache.key(keys, &jwt.kid, now_ms).await?;
    let valid = keys
        .verify_rs256(&key, jwt.signing_input.as_bytes(), &jwt.signature)
        .await
        .unwrap_or(false);
    if !valid {
        return Err(ApiError::AccessRejected("bad signature"));
    }
    let email = check_claims(&jwt.claims, config, now_ms)?;
    let role = config.roles.role_of(&email).ok_or(ApiError::Forbidden)?;
    Ok(Staff {
        role,
        actor: email,
        via: Via::Access,
    })
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// The staff member making `request`: by its bearer token when it has an `Authorization`
    /// header, else by its Cloudflare Access JWT when Access is configured; 401 otherwise.
    pub async fn staff(&self, request: &ApiRequest) -> Result<Staff, ApiError> {
        if request.authorization.is_some() {
            return self.config.tokens.staff(request.authorization.as_deref());
        }
        match (&self.config.access, request.access_jwt.as_deref()) {
            (Some(access), Some(token)) => {
                verify_access(
                    token,
                    access,
                    self.access_keys,
                    &self.state.access_key_cache,
                    self.clock.now_ms(),
                )
                .await
            }
            _ => Err(ApiError::Unauthorized),
        }
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

    #[test]
    fn a_jwks_keeps_usable_rsa_keys_and_skips_the_rest_one_by_one() {
        let body = r#"{"keys": [
            {"kid": "k1", "kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB"},
            {"kid": "k2", "kty": "RSA", "alg": 5, "n": "AQAB", "e": "AQAB"},
            {"kid": "k3", "kty": "EC", "n": "AQAB", "e": "AQAB"},
            "not a key",
            {"kid": "", "kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kid": "k4", "kty": "RSA", "n": "AQAB", "e": "AQAB", "use": "sig"}
        ]}"#;
        let kids: Vec<String> = parse_jwks(body)
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(kids, ["k1", "k4"]);
        assert!(parse_jwks(r#"{"keys": {}}"#).is_err());
        assert!(parse_jwks("<html>").is_err());
    }

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
