// An HDF5 id closed on scope exit with its matching close function, shared by the readers and
// writers in sim/io.
#pragma once
#include <hdf5.h>
#include <string>

#include "sim/spec/errors.hpp"

namespace nmsim {

class H5Handle {
public:
    H5Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
        if (id < 0) throw IoError("HDF5: cannot " + what);
    }
    H5Handle(const H5Handle&) = delete;
    H5Handle& operator=(const H5Handle&) = delete;
    H5Handle(H5Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    H5Handle& operator=(H5Handle&&) = delete;
    ~H5Handle() {
        if (id_ >= 0) close_(id_);
    }
    operator hid_t() const { return id_; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

inline void h5_check(herr_t status, const std::string& what) {
    if (status < 0) throw IoError("HDF5: cannot " + what);
}

} // namespace nmsim
