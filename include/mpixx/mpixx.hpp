// mpixx/mpixx.hpp - the umbrella header: everything mpixx offers.
#pragma once

#include <mpixx/version.hpp>
#include <mpixx/error.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/buffer.hpp>
#include <mpixx/status.hpp>
#include <mpixx/message.hpp>
#include <mpixx/communicator.hpp>
