// gRPC adapter to Kanto-CM: async calls with deadlines whose completions are posted into the
// io_context (gRPC's threads never touch bridge state).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <grpcpp/grpcpp.h>

#include "actions.hpp"
#include "config.hpp"
#include "kanto_cm_api.hpp"

namespace bridge {

class kanto_client {
public:
    kanto_client(boost::asio::io_context& io, const config& cfg);

    // gRPC target for the configured grpc_server (unix:/path or host:port).
    static std::string target(const config& cfg);

    void list(std::function<void(const grpc::Status&, std::vector<kcm::types::Container>)> done);
    // An unknown id is OK with nullopt, as Kanto-CM answers it.
    void get(const std::string& id, std::function<void(const grpc::Status&, std::optional<kcm::types::Container>)> done);

    // An operation for a cloud command (Create, Start, Stop, ...). Errors carry Kanto-CM's text.
    void call(const twin::kanto_request& request, std::function<void(twin::kanto_result)> done);

private:
    std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds deadline) const;

    boost::asio::io_context& io_;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<kcm::svc::Containers::Stub> stub_;
};

// "UNAVAILABLE: failed to connect to all addresses" for logs.
std::string describe(const grpc::Status& st);

}  // namespace bridge
