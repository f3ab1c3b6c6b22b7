#pragma once
// gzip (RFC 1952) for answers a client takes with Accept-Encoding: gzip,
// through zlib: a whole body at once, or an export chunk by chunk with each
// chunk flushed so that a reader sees every row as soon as it is sent.

#include <memory>
#include <string>
#include <string_view>

namespace erc20::api {

/// True when an Accept-Encoding value takes gzip (listed without q=0, or "*").
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding);

class GzipStream {
  public:
    GzipStream();
    ~GzipStream();
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;

    /// Compresses `in`, appending to `out` everything needed to decode it so
    /// far (a sync flush); with `finish`, also the gzip trailer.
    void write(std::string_view in, bool finish, std::string& out);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// `in` as one gzip member.
[[nodiscard]] std::string gzip(std::string_view in);

}  // namespace erc20::api
