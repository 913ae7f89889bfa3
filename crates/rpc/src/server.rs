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
///
/// The accept loop is ours, with jsonrpsee as the per-connection service, so every request's
/// headers have a deadline (hyper's header-read timer, which jsonrpsee's own loop leaves off
/// after a connection's first request) and a connection over the limit gets an immediate 429.
pub async fn start_server(
    config: &RpcServerConfig,
    ctx: Arc<RpcContext>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    start_server_with(config, ctx, jsonrpsee::Methods::new()).await
}

/// [`start_server`] serving `extra` methods as well (another namespace, such as the rollup's
/// `optimism_`, on the same port).
pub async fn start_server_with(
    config: &RpcServerConfig,
    ctx: Arc<RpcContext>,
    extra: jsonrpsee::Methods,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_size)
        .max_response_body_size(config.max_response_body_size)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_size))
        .set_id_provider(HexIds)
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
    let services = Server::builder()
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
        .to_service_builder();
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    crate::filters::spawn_sweeper(Arc::downgrade(&ctx));
    crate::filters::spawn_rewinder(Arc::downgrade(&ctx), ctx.chain.subscribe(64));
    let mut methods: jsonrpsee::Methods = rpc_module(ctx).into();
    methods
        .merge(extra)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let (stop, handle) = jsonrpsee::server::stop_channel();
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections as usize));
    let header_timeout = config.header_timeout;
    tokio::spawn(async move {
        loop {
            let socket = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((socket, _)) => socket,
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        continue;
                    }
                },
                _ = stop.clone().shutdown() => break,
            };
            let Ok(permit) = connections.clone().try_acquire_owned() else {
                metrics::counter!("agnt2_rpc_connections_refused_total").increment(1);
                tokio::spawn(refuse_busy(socket));
                continue;
            };
            let service = hyper_util::service::TowerToHyperService::new(
                services.clone().build(methods.clone(), stop.clone()),
            );
            let stop = stop.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = socket.set_nodelay(true);
                // hyper's header timer starts with the first byte: a connection that sends
                // nothing gets the same deadline here.
                let mut first = [0u8; 1];
                match tokio::time::timeout(header_timeout, socket.peek(&mut first)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                }
                let mut builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                builder
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(header_timeout);
                let conn = builder
                    .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(socket), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    }
                    _ = stop.shutdown() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
    });
    Ok((addr, handle))
}

/// Answers a connection over `--rpc.max-connections` with 429 and closes it.
async fn refuse_busy(mut socket: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    const BODY: &str = "too many connections, retry later";
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
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
