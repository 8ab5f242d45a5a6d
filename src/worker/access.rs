//! Cloudflare Access keys in the Worker (wasm only): the team's JWKS by `fetch` and the RS256
//! check by WebCrypto (`RSASSA-PKCS1-v1_5` with `SHA-256`), so no RSA code ships in the wasm.
//! Imported keys are kept per isolate; the JWKS itself is cached by `api::auth::KeyCache`.

use crate::api::auth::Jwk;
use crate::api::platform::{AccessKeys, LocalFuture};
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{web_sys, AbortController, Delay};

/// A JWKS endpoint that has not answered by then counts as unreachable (the cached keys, if
/// any, keep working): a staff request must not hang on it.
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// WebCrypto keys already imported, by `kid` and modulus (a rotated key gets a new entry).
    static IMPORTED: RefCell<HashMap<(String, String), web_sys::CryptoKey>> =
        RefCell::new(HashMap::new());
}

/// At most this many imported keys per isolate (Access publishes two at a time).
const MAX_IMPORTED: usize = 16;

/// The JWKS at `url` (`https://<team>/cdn-cgi/access/certs`, or `ACCESS_JWKS_URL`).
pub struct WebCryptoKeys {
    pub jwks_url: String,
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

fn set(object: &js_sys::Object, name: &str, value: &JsValue) -> Result<(), String> {
    js_sys::Reflect::set(object, &name.into(), value)
        .map(|_| ())
        .map_err(js_error)
}

fn algorithm() -> Result<js_sys::Object, String> {
    let algorithm = js_sys::Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into())?;
    set(&algorithm, "hash", &"SHA-256".into())?;
    Ok(algorithm)
}

fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    let global = js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>();
    Ok(global.crypto().map_err(js_error)?.subtle())
}

async fn import(jwk: &Jwk) -> Result<web_sys::CryptoKey, String> {
    let id = (jwk.kid.clone(), jwk.n.clone());
    if let Some(key) = IMPORTED.with(|m| m.borrow().get(&id).cloned()) {
        return Ok(key);
    }
    let data = js_sys::Object::new();
    set(&data, "kty", &"RSA".into())?;
    set(&data, "n", &jwk.n.as_str().into())?;
    set(&data, "e", &jwk.e.as_str().into())?;
    set(&data, "alg", &"RS256".into())?;
    set(&data, "ext", &JsValue::TRUE)?;
    let usages = js_sys::Array::of1(&"verify".into());
    let promise = subtle()?
        .import_key_with_object("jwk", &data, &algorithm()?, false, &usages)
        .map_err(js_error)?;
    let key: web_sys::CryptoKey = JsFuture::from(promise)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    IMPORTED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_IMPORTED {
            m.clear();
        }
        m.insert(id, key.clone());
    });
    Ok(key)
}

impl AccessKeys for WebCryptoKeys {
    fn fetch_jwks(&self) -> LocalFuture<'_, Result<String, String>> {
        Box::pin(async move {
            // The runtime parses the URL (a bad one is an error here): `worker::Fetch::Url` would
            // link the `url` crate and its IDNA code, about 30 KB of wasm, for this one fetch.
            let request = web_sys::Request::new_with_str(&self.jwks_url)
                .map_err(|e| format!("jwks url: {e:?}"))?;
            let controller = AbortController::default();
            let signal = controller.signal();
            let fetch = worker::Fetch::Request(worker::Request::from(request));
            let send = Box::pin(fetch.send_with_signal(&signal));
            let outcome = match select(send, Delay::from(JWKS_TIMEOUT)).await {
                Either::Left((response, _)) => Some(response),
                Either::Right(_) => None,
            };
            let Some(response) = outcome else {
                controller.abort();
                return Err(format!("no answer within {} s", JWKS_TIMEOUT.as_secs()));
            };
            let mut response = response.map_err(|e| e.to_string())?;
            if response.status_code() != 200 {
                return Err(format!("jwks answered {}", response.status_code()));
            }
            response.text().await.map_err(|e| e.to_string())
        })
    }

    fn verify_rs256<'a>(
        &'a self,
        jwk: &'a Jwk,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> LocalFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let key = import(jwk).await?;
            let promise = subtle()?
                .verify_with_object_and_u8_array_and_u8_array(
                    &algorithm()?,
                    &key,
                    signature,
                    message,
                )
                .map_err(js_error)?;
            let valid = JsFuture::from(promise).await.map_err(js_error)?;
            Ok(valid.as_bool().unwrap_or(false))
        })
    }
}
