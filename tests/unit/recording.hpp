// Access to the real Kanto-CM recording in tests/data/conformance (see its README).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <boost/json.hpp>

#include "kanto_cm_api.hpp"

namespace recording {

inline std::vector<boost::json::object> lines() {
    std::ifstream in(std::string(TEST_DATA_DIR) +
                     "/conformance/kanto-things-registration-and-commands.jsonl");
    std::vector<boost::json::object> out;
    for (std::string line; std::getline(in, line);) out.push_back(boost::json::parse(line).as_object());
    return out;
}

// The gRPC snapshot recorded after `step` (protobuf JSON -> Container messages).
inline std::vector<kcm::types::Container> snapshot(const std::string& step) {
    std::vector<kcm::types::Container> out;
    for (const auto& o : lines()) {
        if (!o.contains("snapshot") || o.at("step").as_string() != step) continue;
        for (const auto& c : o.at("snapshot").as_array()) {
            kcm::types::Container msg;
            auto st = google::protobuf::util::JsonStringToMessage(boost::json::serialize(c), &msg);
            if (!st.ok()) throw std::runtime_error(st.ToString());
            out.push_back(std::move(msg));
        }
    }
    return out;
}

// MQTT payloads published on topics starting with `prefix` during `step`.
inline std::vector<boost::json::object> messages(const std::string& step, const std::string& prefix) {
    std::vector<boost::json::object> out;
    std::string current;
    for (const auto& o : lines()) {
        if (!o.contains("topic")) continue;
        const std::string topic(o.at("topic").as_string());
        if (topic == "zz/marker") {
            current = std::string(o.at("payload").at("step").as_string());
            continue;
        }
        if (current == step && topic.rfind(prefix, 0) == 0) out.push_back(o.at("payload").as_object());
    }
    return out;
}

}  // namespace recording
