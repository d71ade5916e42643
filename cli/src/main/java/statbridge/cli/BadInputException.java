package statbridge.cli;

/** Input the user gave that cannot be used; the command exits with {@link ExitCodes#BAD_INPUT}. */
class BadInputException extends RuntimeException {

    public BadInputException(String message) {
        super(message);
    }
}
