#include "api/gzip.hpp"

#include <cctype>
#include <stdexcept>

#include <zlib.h>

namespace erc20::api {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

// "q=0", "q=0.0", "q=0.000": the coding is refused.
bool zero_quality(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view p = trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
        const std::string_view v = p.substr(2);
        return !v.empty() && v[0] == '0' && v.find_first_not_of("0.", 0) == std::string_view::npos;
    }
    return false;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
    bool star = false;
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        const std::string_view item = accept_encoding.substr(0, comma);
        accept_encoding = comma == std::string_view::npos ? std::string_view()
                                                          : accept_encoding.substr(comma + 1);
        const auto semi = item.find(';');
        const std::string_view coding = trim(item.substr(0, semi));
        const std::string_view params =
            semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) return !zero_quality(params);
        if (coding == "*") star = !zero_quality(params);
    }
    return star;
}

struct GzipStream::Impl {
    z_stream z{};
};

GzipStream::GzipStream() : impl_(std::make_unique<Impl>()) {
    // windowBits 15 + 16: a gzip header and trailer; level 6, zlib's default balance; about
    // 256 KiB of state.
    if (deflateInit2(&impl_->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("gzip: deflateInit2 failed");
}

GzipStream::~GzipStream() { deflateEnd(&impl_->z); }

void GzipStream::write(std::string_view in, bool finish, std::string& out) {
    z_stream& z = impl_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    const int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
        const size_t before = out.size();
        const size_t room = deflateBound(&z, z.avail_in) + 64;
        out.resize(before + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        z.avail_out = static_cast<uInt>(room);
        const int rc = deflate(&z, flush);
        out.resize(before + room - z.avail_out);
        if (rc == Z_STREAM_END) return;
        if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("gzip: deflate failed");
        if (z.avail_in == 0 && z.avail_out != 0) return;  // all in, all flushed
    }
}

std::string gzip(std::string_view in) {
    GzipStream g;
    std::string out;
    g.write(in, true, out);
    return out;
}

}  // namespace erc20::api
