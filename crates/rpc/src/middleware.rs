//! Per-request observability: a `tracing` span around every JSON-RPC call and batch, and
//! Prometheus metrics for request counts, errors and latency by method.

use std::{future::Future, time::Instant};

use jsonrpsee::{
    MethodResponse,
    core::middleware::{Batch, Notification, RpcServiceT},
    types::Request,
};
use tracing::Instrument;

/// The `tower` layer installing [`Traced`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TracedLayer;

impl<S> tower::Layer<S> for TracedLayer {
    type Service = Traced<S>;

    fn layer(&self, service: S) -> Self::Service {
        Traced(service)
    }
}

/// Wraps an RPC service with a span and metrics per call.
#[derive(Debug, Clone)]
pub struct Traced<S>(S);

/// Code jsonrpsee answers for a method that is not registered.
const METHOD_NOT_FOUND: i32 = -32601;

impl<S> RpcServiceT for Traced<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let method = request.method_name().to_owned();
        let span = tracing::debug_span!("rpc", method = %method, id = %request.id());
        let started = Instant::now();
        let service = self.0.clone();
        async move {
            let response = service.call(request).await;
            let elapsed = started.elapsed();
            // Unknown names are not labels: clients choose them, and labels must stay bounded.
            let label = if response.as_error_code() == Some(METHOD_NOT_FOUND) {
                "unknown".to_string()
            } else {
                method
            };
            let result = if response.is_success() { "ok" } else { "error" };
            metrics::counter!("agnt2_rpc_requests_total", "method" => label.clone(), "result" => result)
                .increment(1);
            metrics::histogram!("agnt2_rpc_request_duration_seconds", "method" => label)
                .record(elapsed.as_secs_f64());
            tracing::debug!(result, elapsed_us = elapsed.as_micros() as u64, "rpc call");
            response
        }
        .instrument(span)
    }

    fn batch<'a>(
        &self,
        mut batch: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        // Every entry shares the batch's execution budget (see `budget`).
        let started = crate::budget::BatchStarted(Instant::now());
        for entry in batch.iter_mut().flatten() {
            entry.extensions_mut().insert(started);
        }
        let span = tracing::debug_span!("rpc_batch", len = batch.len());
        metrics::counter!("agnt2_rpc_batches_total").increment(1);
        self.0.batch(batch).instrument(span)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.0.notification(n)
    }
}
