// The client's side of memcached's binary protocol: requests for the
// Client's commands and the meaning of response statuses. Built on
// proto/binary_encoder.h. Internal to libslabclient (not installed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/client.h"
#include "proto/binary_encoder.h"
#include "proto/request.h"

namespace slabcached::client {

// One binary request for a text-protocol `command` (get/gets → getk, gats →
// gatk, storage, delete, touch, incr/decr, stats): the opcode it used.
uint8_t AppendBinaryRequest(std::string* out, proto::Command command, std::string_view key,
                            std::string_view value, uint32_t flags, int64_t exptime, uint64_t cas,
                            uint64_t delta);

// A request without extras, value or cas (getkq, noop): the header written
// in place, without the general encoder's per-field appends (a multi-get
// sends one per key).
void AppendKeyOnlyRequest(std::string* out, proto::binary::Opcode opcode, std::string_view key);

// A quiet set (setq: the server answers only a failure), header and extras
// written in place: the bulk writer sends one per item.
void AppendQuietSet(std::string* out, std::string_view key, std::string_view value, uint32_t flags,
                    uint32_t exptime);

// The Status a response status means for a request with `opcode`, with the
// text protocol's meaning (add of an existing key and replace of a missing
// one are kNotStored there, as in the text protocol).
Status BinaryStatus(proto::binary::Status status, uint8_t opcode);

}  // namespace slabcached::client
