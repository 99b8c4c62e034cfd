#include "kanto_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace bridge {
namespace asio = boost::asio;

std::string kanto_client::target(const config& cfg) {
    return cfg.grpc_protocol == "unix" ? "unix:" + cfg.grpc_address : cfg.grpc_address;
}

kanto_client::kanto_client(asio::io_context& io, const config& cfg) : io_(io) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);  // List of thousands of containers
    // Reconnect promptly when Kanto-CM comes back (gRPC's default back-off grows to 120 s).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(std::min<long long>(cfg.max_retry_interval.count(), 5000)));
    channel_ = grpc::CreateCustomChannel(target(cfg), grpc::InsecureChannelCredentials(), args);
    stub_ = kcm::svc::Containers::NewStub(channel_);
    sysinfo_ = kcm::sysinfo::SystemInfo::NewStub(channel_);
}

kanto_client::~kanto_client() {
    stop();
}

void kanto_client::stop() {
    std::unique_lock lock(calls_->mutex);
    calls_->stopped = true;
    for (auto* ctx : calls_->live) ctx->TryCancel();
    // A cancelled call completes promptly; the bound only guards against a stuck gRPC.
    if (!calls_->drained.wait_for(lock, std::chrono::seconds(5), [this] { return calls_->live.empty(); })) {
        // Their completions will find the client stopped and post nothing.
    }
}

std::size_t kanto_client::in_flight() const {
    std::lock_guard lock(calls_->mutex);
    return calls_->live.size();
}

std::unique_ptr<grpc::ClientContext> kanto_client::context(std::chrono::seconds deadline) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    return ctx;
}

namespace {

// A call as the TRACE log names it: the method, and the container id where the request has one.
template <class Request>
std::string call_name(const Request& req) {
    std::string name = Request::descriptor()->name();
    if (name.ends_with("Request")) name.resize(name.size() - 7);
    if (const auto* f = Request::descriptor()->FindFieldByName("id"))
        name += " " + req.GetReflection()->GetString(req, f);
    return name;
}

// Every call: the context, request and response live until the completion has run on the loop.
// gRPC's thread only posts, and only while the client is not stopped; the completion itself is
// dropped when the client stopped in the meantime. `invoke` picks the callback overload of the
// generated async method. Each call and its outcome are logged at TRACE.
template <class Request, class Response, class Invoke, class Done>
void unary(asio::io_context& io, const std::shared_ptr<kanto_client::tracker>& calls, Invoke invoke,
           const Request& request, std::unique_ptr<grpc::ClientContext> ctx, Done inner) {
    struct call {
        std::unique_ptr<grpc::ClientContext> ctx;
        Request req;
        Response resp;
    };
    std::string name;  // empty unless TRACE is on: no reflection on the normal path
    if (spdlog::should_log(spdlog::level::trace)) {
        name = call_name(request);
        spdlog::trace("Kanto-CM {}: called", name);
    }
    auto done = [inner = std::move(inner), name = std::move(name),
                 started = std::chrono::steady_clock::now()](const grpc::Status& st, Response& resp) {
        if (!name.empty()) {
            const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
            spdlog::trace("Kanto-CM {}: {} after {:.1f} ms", name, st.ok() ? "OK" : describe(st),
                          took.count());
        }
        inner(st, resp);
    };
    auto c = std::make_shared<call>();
    c->ctx = std::move(ctx);
    c->req = request;
    {
        std::lock_guard lock(calls->mutex);
        if (calls->stopped) return;  // stopping: nothing completes any more
        calls->live.insert(c->ctx.get());
    }
    invoke(c->ctx.get(), &c->req, &c->resp, [&io, calls, c, done = std::move(done)](grpc::Status st) {
        std::lock_guard lock(calls->mutex);
        if (!calls->stopped) {
            asio::post(io, [calls, c, st, done] {
                if (!calls->stopped) done(st, c->resp);
            });
        }
        calls->live.erase(c->ctx.get());
        calls->drained.notify_all();
    });
}

#define KTB_CALL(method) \
    [async](auto* c, auto* q, auto* r, auto cb) { async->method(c, q, r, std::move(cb)); }

}  // namespace

void kanto_client::list(std::function<void(const grpc::Status&, std::vector<kcm::types::Container>)> done) {
    auto* async = stub_->async();
    unary<kcm::svc::ListContainersRequest, kcm::svc::ListContainersResponse>(
        io_, calls_, KTB_CALL(List), {}, context(std::chrono::seconds(15)),
        [done = std::move(done)](const grpc::Status& st, kcm::svc::ListContainersResponse& resp) {
            std::vector<kcm::types::Container> out;
            if (st.ok()) {
                out.reserve(static_cast<std::size_t>(resp.containers_size()));
                for (auto& x : *resp.mutable_containers()) out.push_back(std::move(x));
            }
            done(st, std::move(out));
        });
}

void kanto_client::project_version(std::function<void(const grpc::Status&, std::string)> done) {
    auto* async = sysinfo_->async();
    unary<google::protobuf::Empty, kcm::sysinfo::ProjectInfoResponse>(
        io_, calls_, KTB_CALL(ProjectInfo), {}, context(std::chrono::seconds(10)),
        [done = std::move(done)](const grpc::Status& st, kcm::sysinfo::ProjectInfoResponse& resp) {
            done(st, st.ok() ? resp.project_info().project_version() : std::string());
        });
}

void kanto_client::get(const std::string& id,
                       std::function<void(const grpc::Status&, std::optional<kcm::types::Container>)> done) {
    auto* async = stub_->async();
    kcm::svc::GetContainerRequest req;
    req.set_id(id);
    unary<kcm::svc::GetContainerRequest, kcm::svc::GetContainerResponse>(
        io_, calls_, KTB_CALL(Get), req, context(std::chrono::seconds(10)),
        [done = std::move(done)](const grpc::Status& st, kcm::svc::GetContainerResponse& resp) {
            std::optional<kcm::types::Container> out;
            if (st.ok() && resp.has_container()) out = std::move(*resp.mutable_container());
            done(st, std::move(out));
        });
}

void kanto_client::call(const kanto::request& request, std::function<void(kanto::result)> done) {
    using empty = google::protobuf::Empty;
    // Create pulls the image and Stop waits for the process: generous deadlines, never none.
    auto ctx = context(std::chrono::minutes(10));
    auto* async = stub_->async();
    auto to_result = [done = std::move(done)](const grpc::Status& st, auto& resp) {
        kanto::result r;
        r.ok = st.ok();
        // Kanto-CM's domain errors are UNKNOWN with its text; transport errors get their code too.
        if (!st.ok())
            r.error = st.error_code() == grpc::StatusCode::UNKNOWN ? st.error_message() : describe(st);
        using R = std::decay_t<decltype(resp)>;
        if constexpr (std::is_same_v<R, kcm::svc::CreateContainerResponse> ||
                      std::is_same_v<R, kcm::svc::GetContainerResponse>) {
            if (st.ok() && resp.has_container()) r.container = resp.container();
        }
        done(std::move(r));
    };
    std::visit(
        [&](const auto& req) {
            using R = std::decay_t<decltype(req)>;
            if constexpr (std::is_same_v<R, kcm::svc::CreateContainerRequest>) {
                unary<R, kcm::svc::CreateContainerResponse>(io_, calls_, KTB_CALL(Create), req,
                                                            std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::GetContainerRequest>) {
                unary<R, kcm::svc::GetContainerResponse>(io_, calls_, KTB_CALL(Get), req, std::move(ctx),
                                                         std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::StartContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Start), req, std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::StopContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Stop), req, std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::PauseContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Pause), req, std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::UnpauseContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Unpause), req, std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::RenameContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Rename), req, std::move(ctx), std::move(to_result));
            } else if constexpr (std::is_same_v<R, kcm::svc::RemoveContainerRequest>) {
                unary<R, empty>(io_, calls_, KTB_CALL(Remove), req, std::move(ctx), std::move(to_result));
            } else {
                unary<R, empty>(io_, calls_, KTB_CALL(Update), req, std::move(ctx), std::move(to_result));
            }
        },
        request);
}

#undef KTB_CALL

std::string describe(const grpc::Status& st) {
    static const char* names[] = {
        "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED"};
    const auto code = static_cast<std::size_t>(st.error_code());
    return std::string(code < std::size(names) ? names[code] : "?") + ": " + st.error_message();
}

}  // namespace bridge
