// gRPC adapter to Kanto-CM, shared by every service: async calls with deadlines whose completions
// are posted into the io_context (gRPC's threads never touch bridge state). stop() cancels every
// call in flight and waits until gRPC has let go of them, so nothing is posted after it returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <boost/asio/io_context.hpp>

#include "calls.hpp"
#include "config.hpp"
#include "kanto_cm_api.hpp"

namespace bridge {

class kanto_client {
  public:
    kanto_client(boost::asio::io_context& io, const config& cfg);
    ~kanto_client();
    kanto_client(const kanto_client&) = delete;
    kanto_client& operator=(const kanto_client&) = delete;

    // gRPC target for the configured grpc_server (unix:/path or host:port).
    static std::string target(const config& cfg);

    void list(std::function<void(const grpc::Status&, std::vector<kcm::types::Container>)> done);
    // An unknown id is OK with nullopt, as Kanto-CM answers it.
    void get(const std::string& id,
             std::function<void(const grpc::Status&, std::optional<kcm::types::Container>)> done);
    // An operation (Create, Start, Stop, ...). Errors carry Kanto-CM's text.
    void call(const kanto::request& request, std::function<void(kanto::result)> done);

    // SystemInfo.ProjectInfo: Kanto-CM's version ("1.0.0").
    void project_version(std::function<void(const grpc::Status&, std::string)> done);

    // Cancels the calls in flight and drains them; later calls are not made.
    void stop();
    std::size_t in_flight() const;

    // Calls in flight, shared with gRPC's completion threads.
    struct tracker {
        mutable std::mutex mutex;
        std::condition_variable drained;
        std::set<grpc::ClientContext*> live;
        bool stopped = false;
    };

  private:
    std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds deadline) const;

    boost::asio::io_context& io_;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<kcm::svc::Containers::Stub> stub_;
    std::unique_ptr<kcm::sysinfo::SystemInfo::Stub> sysinfo_;
    std::shared_ptr<tracker> calls_ = std::make_shared<tracker>();
};

// "UNAVAILABLE: failed to connect to all addresses" for logs.
std::string describe(const grpc::Status& st);

}  // namespace bridge
