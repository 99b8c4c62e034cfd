// A Ditto thing held in memory and changed by Ditto protocol messages the way Ditto applies them
// (anchors.md §1.6): modify = create-or-replace at a JSON pointer, merge = RFC 7396 merge patch at
// the pointer (null deletes), delete = remove the pointer, "/" = the whole thing. Used by the
// kanto-twin inspector; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "merge_patch.hpp"

namespace twin {

// RFC 6901 tokens of a path ("/a/b~1c" -> a, b/c); "/" and "" give none.
std::vector<std::string> json_pointer(std::string_view path);

// "<ns>/<name>/things/..." -> "<ns>:<name>"
std::optional<std::string> thing_of_topic(std::string_view topic);

// The value at a pointer, or nullptr.
const boost::json::value* at_pointer(const boost::json::value& root, const std::vector<std::string>& tokens);

using kanto::merge_patch;  // RFC 7396, as Ditto's merge command applies it

class ditto_thing {
  public:
    explicit ditto_thing(std::string id);

    // Applies a twin command (create, modify, merge, delete) or event (created, modified, merged,
    // deleted). Returns "" or why the message does not change a thing (responses, live messages...).
    std::string apply(const boost::json::object& envelope);

    const std::string& id() const { return id_; }
    const boost::json::value& value() const { return value_; }

  private:
    std::string id_;
    boost::json::value value_;  // object
};

}  // namespace twin
