#include "handover.hpp"

#include <filesystem>

#include <boost/json.hpp>

namespace deploy {

bool is_identified_feedback(const std::string& message) {
    if (message.size() > max_feedback_bytes) return false;
    boost::system::error_code ec;
    const auto doc = boost::json::parse(message, ec);
    if (ec || !doc.is_object()) return false;
    const auto* payload = doc.as_object().if_contains("payload");
    if (payload == nullptr || !payload->is_object()) return false;
    const auto* status = payload->as_object().if_contains("status");
    return status != nullptr && status->is_string() && status->as_string() == "IDENTIFIED";
}

std::string disabled_lock_path(const std::string& lock_path) {
    return std::filesystem::path(lock_path).replace_extension("disabled").string();
}

}  // namespace deploy
