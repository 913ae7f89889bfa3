//! The HTTP + WebSocket transport.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use jsonrpsee::server::{
    BatchRequestConfig, IdProvider, RandomIntegerIdProvider, Server, ServerConfig, ServerHandle,
};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use jsonrpsee::types::SubscriptionId;
use tower_http::cors::{Any, CorsLayer};

use crate::{RpcContext, rpc_module};

/// Transport limits.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// Listen address.
    pub addr: SocketAddr,
    /// Largest request body (also the largest WebSocket message).
    pub max_request_body_size: u32,
    /// Largest response body.
    pub max_response_body_size: u32,
    /// Most requests in one batch.
    pub max_batch_size: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// How long a new connection may take to send its first request's headers.
    pub header_timeout: Duration,
    /// How long one HTTP request may take, reading its body included (a body that trickles in
    /// is cut off here).
    pub request_timeout: Duration,
    /// Messages queued per connection for subscriptions; a subscriber whose queue stays full
    /// is dropped.
    pub subscription_buffer: u32,
}

impl Default for RpcServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body_size: 15 * 1024 * 1024,
            max_response_body_size: 150 * 1024 * 1024,
            max_batch_size: 1_000,
            max_connections: 1_000,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            subscription_buffer: 1_024,
        }
    }
}

/// geth-style `0x…` subscription ids.
#[derive(Debug)]
struct HexIds;

impl IdProvider for HexIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        match RandomIntegerIdProvider.next_id() {
            SubscriptionId::Num(n) => SubscriptionId::Str(format!("0x{n:x}").into()),
            other => other,
        }
    }
}

/// Starts the server; returns the bound address and the handle that keeps it running.
pub async fn start_server(
    config: &RpcServerConfig,
    ctx: Arc<RpcContext>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_size)
        .max_response_body_size(config.max_response_body_size)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_size))
        .set_id_provider(HexIds)
        .set_first_request_timeout(Some(config.header_timeout))
        .set_message_buffer_capacity(config.subscription_buffer)
        .build();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            hyper::Method::POST,
            hyper::Method::GET,
            hyper::Method::OPTIONS,
        ])
        .allow_headers(Any);
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(cors)
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    hyper::StatusCode::REQUEST_TIMEOUT,
                    config.request_timeout,
                ))
                .layer(tower::layer::layer_fn(InvalidId)),
        )
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer(crate::middleware::TracedLayer),
        )
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    crate::filters::spawn_sweeper(Arc::downgrade(&ctx));
    let handle = server.start(rpc_module(ctx));
    Ok((addr, handle))
}

/// jsonrpsee answers a request whose `id` is an array or an object with a bare `null`; the
/// JSON-RPC 2.0 answer is an Invalid Request error (-32600) with a null id, as geth gives.
#[derive(Debug, Clone)]
struct InvalidId<S>(S);

const INVALID_REQUEST: &str = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: id must be a number, a string or null"}}"#;

impl<S, B> tower::Service<HttpRequest<B>> for InvalidId<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let response = self.0.call(request);
        Box::pin(async move {
            let response = response.await?;
            // Only a four-byte body can be the bare `null`; everything else passes untouched.
            if hyper::body::Body::size_hint(response.body()).exact() != Some(4) {
                return Ok(response);
            }
            let (mut parts, body) = response.into_parts();
            let bytes = match http_body_util::BodyExt::collect(body).await {
                Ok(c) => c.to_bytes(),
                Err(_) => return Ok(HttpResponse::from_parts(parts, HttpBody::from(""))),
            };
            if bytes.as_ref() != b"null" {
                return Ok(HttpResponse::from_parts(
                    parts,
                    HttpBody::from(bytes.to_vec()),
                ));
            }
            parts.headers.remove(hyper::header::CONTENT_LENGTH);
            Ok(HttpResponse::from_parts(
                parts,
                HttpBody::from(INVALID_REQUEST),
            ))
        })
    }
}
