"""WTForms' built-in English messages in Vietnamese, so that every refused field reads in Vietnamese
(in the English interface, ``?lang=en``, WTForms' own English is kept).

Flask-WTF asks ``flask_wtf.form.translations`` for every default message (Flask-Babel is not used here,
and WTForms ships no Vietnamese catalogue); ``install`` puts this catalogue there. Messages written in
the forms themselves are already Vietnamese and never pass through it.
"""

from __future__ import annotations

import flask_wtf.form

from views import i18n

FALLBACK = "Giá trị không hợp lệ."

MESSAGES = {
    "This field is required.": "Vui lòng nhập trường này.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không phải là lựa chọn hợp lệ.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không phải là các lựa chọn hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Có lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Lựa chọn không hợp lệ.",
    "Field cannot be longer than %(max)d character.": "Tối đa %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Tối đa %(max)d ký tự.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Cần đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Cần đúng %(max)d ký tự.",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Not a valid decimal value.": "Vui lòng nhập một số (dùng dấu chấm cho phần thập phân).",
    "Not a valid float value.": "Vui lòng nhập một số.",
    "Not a valid date value.": "Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/06/2026.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải nằm trong khoảng %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày phải từ %(min)s trở đi.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải nằm trong khoảng %(min)s đến %(max)s.",
    "Invalid input.": FALLBACK,
    "Invalid email address.": "Địa chỉ thư điện tử không hợp lệ.",
    "Invalid URL.": "Địa chỉ không hợp lệ.",
    "File does not have an approved extension.": "Loại tệp không được chấp nhận.",
    "File does not have an approved extension: {extensions}": "Loại tệp không được chấp nhận (chỉ nhận: {extensions}).",
}


class VietnameseMessages:
    """The gettext/ngettext pair WTForms expects; unknown English falls back to a generic sentence."""

    def gettext(self, string: str) -> str:
        if i18n.current_language() == "en":  # WTForms' own messages are English
            return string
        if string in MESSAGES:
            return MESSAGES[string]
        return string if not string.isascii() else FALLBACK

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def install() -> None:
    flask_wtf.form.translations = VietnameseMessages()
