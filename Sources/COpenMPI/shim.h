// The few MPI calls RecurrentMPI makes, as functions Swift can import:
// Open MPI's MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE are macros over
// addresses of library globals, which Swift's importer cannot use.
#ifndef RNN_OPENMPI_SHIM_H
#define RNN_OPENMPI_SHIM_H
#include <mpi.h>

/// MPI_Init_thread asking for MPI_THREAD_SERIALIZED (the training thread and
/// the communication thread call MPI, never at the same time); `provided` gets what the library gives.
static inline int rnn_mpi_init(int *provided) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) { MPI_Query_thread(provided); return MPI_SUCCESS; }
    MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
    // Errors come back as codes (the Swift side throws), not as an abort inside MPI.
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static inline int rnn_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int rnn_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static inline int rnn_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }
static inline int rnn_mpi_allreduce_float(float *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int rnn_mpi_allreduce_double(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int rnn_mpi_broadcast(void *buffer, int count, int root) {
    return MPI_Bcast(buffer, count, MPI_BYTE, root, MPI_COMM_WORLD);
}
static inline int rnn_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline int rnn_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static inline int rnn_mpi_finalize(void) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return finalized ? MPI_SUCCESS : MPI_Finalize();
}
static inline int rnn_mpi_error_string(int code, char *text, int *length) { return MPI_Error_string(code, text, length); }
static inline int rnn_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline double rnn_mpi_wtime(void) { return MPI_Wtime(); }
#endif
