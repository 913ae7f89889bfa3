//! The HTTP + WebSocket transport.

use std::{net::SocketAddr, sync::Arc};

use jsonrpsee::server::{
    BatchRequestConfig, IdProvider, RandomIntegerIdProvider, Server, ServerConfig, ServerHandle,
};
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
}

impl Default for RpcServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body_size: 15 * 1024 * 1024,
            max_response_body_size: 150 * 1024 * 1024,
            max_batch_size: 1_000,
            max_connections: 1_000,
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
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer(crate::middleware::TracedLayer),
        )
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(rpc_module(ctx));
    Ok((addr, handle))
}
