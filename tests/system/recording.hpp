// The real Kanto-CM recording (tests/data/conformance) for system tests: its lines, and its
// containers of steps a1-a3 recreated in a simulator.
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <boost/json.hpp>

#include "harness.hpp"

namespace harness {

inline std::vector<boost::json::object> recording_lines() {
    std::ifstream in(TEST_SOURCE_DIR "/data/conformance/kanto-things-registration-and-commands.jsonl");
    std::vector<boost::json::object> out;
    for (std::string line; std::getline(in, line);) out.push_back(boost::json::parse(line).as_object());
    return out;
}

// Replays the recorded Create/Start calls before step a3's snapshot; returns recorded id -> ours.
inline std::map<std::string, std::string> recreate_recorded_containers(
    const std::vector<boost::json::object>& lines, kcm::svc::Containers::Stub& stub) {
    namespace json = boost::json;
    std::map<std::string, std::string> ids;
    google::protobuf::Empty empty;
    for (const auto& o : lines) {
        if (o.contains("step") && o.at("step") == "a3-create-created-only") break;
        if (!o.contains("grpc")) continue;
        if (o.at("grpc") == "Create") {
            kcm::svc::CreateContainerRequest req;
            if (!google::protobuf::util::JsonStringToMessage(json::serialize(o.at("request")), &req).ok())
                return {};
            kcm::svc::CreateContainerResponse resp;
            if (!stub.Create(rpc_context().get(), req, &resp).ok()) return {};
            ids[std::string(o.at("response").at("container").at("id").as_string())] = resp.container().id();
        } else if (o.at("grpc") == "Start") {
            kcm::svc::StartContainerRequest req;
            req.set_id(ids.at(std::string(o.at("request").at("id").as_string())));
            if (!stub.Start(rpc_context().get(), req, &empty).ok()) return {};
        }
    }
    return ids;
}

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    if (from.empty()) return s;
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
    return s;
}

}  // namespace harness
